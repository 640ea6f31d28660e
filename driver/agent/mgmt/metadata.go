package mgmt

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
)

// Metadata is read_canister_snapshot_metadata_response, shaped and
// serialized exactly as icp 1.5.0 writes metadata.json (serde_json pretty
// of ic-management-canister-types' ReadCanisterSnapshotMetadataResult:
// externally tagged enums, blobs as arrays of numbers, nat as u32 digits).
type Metadata struct {
	// Source is how the snapshot came to be; nil when unknown.
	Source *Source `json:"source"`
	// TakenAtTimestamp is when it was taken, ns since the epoch.
	TakenAtTimestamp uint64 `json:"taken_at_timestamp"`
	// WasmModuleSize is the size of wasm_module.bin.
	WasmModuleSize uint64 `json:"wasm_module_size"`
	// Globals are the Wasm globals; a nil entry is an unknown kind.
	Globals []*Global `json:"globals"`
	// WasmMemorySize is the size of wasm_memory.bin.
	WasmMemorySize uint64 `json:"wasm_memory_size"`
	// StableMemorySize is the size of stable_memory.bin.
	StableMemorySize uint64 `json:"stable_memory_size"`
	// WasmChunkStore lists the chunk store's hashes.
	WasmChunkStore []ChunkHash `json:"wasm_chunk_store"`
	// CanisterVersion is the canister's version when taken.
	CanisterVersion uint64 `json:"canister_version"`
	// CertifiedData is the canister's certified data.
	CertifiedData []byte `json:"certified_data"`
	// GlobalTimer is the canister's global timer, nil when unknown.
	GlobalTimer *Timer `json:"global_timer"`
	// OnLowWasmMemoryHookStatus is the hook status, nil when unknown.
	OnLowWasmMemoryHookStatus *HookStatus `json:"on_low_wasm_memory_hook_status"`
}

// ChunkHash names one chunk-store entry.
type ChunkHash struct {
	// Hash is the chunk's sha256.
	Hash []byte `json:"hash"`
}

// Source is the snapshot source variant.
type Source string

// The snapshot sources.
const (
	SourceTakenFromCanister Source = "taken_from_canister"
	SourceMetadataUpload    Source = "metadata_upload"
)

// MarshalJSON writes {"case": null}.
func (s Source) MarshalJSON() ([]byte, error) {
	return []byte(`{` + strconv.Quote(string(s)) + `:null}`), nil
}

// UnmarshalJSON reads {"case": null}.
func (s *Source) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || len(m) != 1 {
		return fmt.Errorf("source must be {\"taken_from_canister\": null} or {\"metadata_upload\": null}, got %s", b)
	}
	for k := range m {
		switch Source(k) {
		case SourceTakenFromCanister, SourceMetadataUpload:
			*s = Source(k)
			return nil
		}
		return fmt.Errorf("source: unknown variant %q", k)
	}
	return nil
}

// Global is one Wasm global: Kind is i32, i64, f32, f64 or v128 and Bits
// holds its value's bit pattern (V128 for v128).
type Global struct {
	// Kind is the value type.
	Kind string
	// Bits is the raw bits of an i32, i64, f32 or f64.
	Bits uint64
	// V128 is the value of a v128.
	V128 *big.Int
}

// MarshalJSON writes {"i32": 7}, {"f64": 1.5} or {"v128": [digits]}.
func (g Global) MarshalJSON() ([]byte, error) {
	var v string
	switch g.Kind {
	case "i32":
		v = strconv.FormatInt(int64(int32(uint32(g.Bits))), 10)
	case "i64":
		v = strconv.FormatInt(int64(g.Bits), 10)
	case "f32":
		v = formatFloat(float64(math.Float32frombits(uint32(g.Bits))), 32)
	case "f64":
		v = formatFloat(math.Float64frombits(g.Bits), 64)
	case "v128":
		b, _ := json.Marshal(u32Digits(g.V128))
		v = string(b)
	default:
		return nil, fmt.Errorf("global of unknown kind %q", g.Kind)
	}
	return []byte(`{"` + g.Kind + `":` + v + `}`), nil
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (g *Global) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || len(m) != 1 {
		return fmt.Errorf("global must be an object with one of i32, i64, f32, f64, v128, got %s", b)
	}
	for k, raw := range m {
		g.Kind = k
		switch k {
		case "i32":
			var x int32
			if err := json.Unmarshal(raw, &x); err != nil {
				return fmt.Errorf("global i32: %w", err)
			}
			g.Bits = uint64(uint32(x))
		case "i64":
			var x int64
			if err := json.Unmarshal(raw, &x); err != nil {
				return fmt.Errorf("global i64: %w", err)
			}
			g.Bits = uint64(x)
		case "f32":
			var x float32
			if err := json.Unmarshal(raw, &x); err != nil {
				return fmt.Errorf("global f32: %w", err)
			}
			g.Bits = uint64(math.Float32bits(x))
		case "f64":
			var x float64
			if err := json.Unmarshal(raw, &x); err != nil {
				return fmt.Errorf("global f64: %w", err)
			}
			g.Bits = math.Float64bits(x)
		case "v128":
			var d []uint32
			if err := json.Unmarshal(raw, &d); err != nil {
				return fmt.Errorf("global v128: %w", err)
			}
			g.V128 = fromU32Digits(d)
		default:
			return fmt.Errorf("global: unknown variant %q", k)
		}
	}
	return nil
}

// u32Digits renders n as num-bigint serializes a BigUint: little-endian
// u32 digits, [] for zero.
func u32Digits(n *big.Int) []uint32 {
	out := []uint32{}
	if n == nil {
		return out
	}
	x := new(big.Int).Set(n)
	mask := big.NewInt(0xffffffff)
	for x.Sign() > 0 {
		out = append(out, uint32(new(big.Int).And(x, mask).Uint64()))
		x.Rsh(x, 32)
	}
	return out
}

func fromU32Digits(d []uint32) *big.Int {
	n := new(big.Int)
	for i := len(d) - 1; i >= 0; i-- {
		n.Lsh(n, 32)
		n.Or(n, big.NewInt(int64(d[i])))
	}
	return n
}

// formatFloat renders a float as serde_json (ryu) does: shortest digits,
// a ".0" on integral values, exponent form outside [1e-5, 1e16).
func formatFloat(f float64, bits int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "null"
	}
	a := math.Abs(f)
	if a != 0 && (a < 1e-5 || a >= 1e16) {
		s := strconv.FormatFloat(f, 'e', -1, bits)
		// Go writes 1e+16 / 1.5e-07; ryu writes 1e16 / 1.5e-7.
		mant, exp, _ := cut(s, 'e')
		n, _ := strconv.Atoi(exp)
		return mant + "e" + strconv.Itoa(n)
	}
	s := strconv.FormatFloat(f, 'f', -1, bits)
	for _, c := range s {
		if c == '.' {
			return s
		}
	}
	return s + ".0"
}

func cut(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// Timer is the global timer variant: inactive, or active at a time.
type Timer struct {
	// Active reports whether the timer is set.
	Active bool
	// At is when it fires (ns), when Active.
	At uint64
}

// MarshalJSON writes "inactive" or {"active": n}.
func (t Timer) MarshalJSON() ([]byte, error) {
	if !t.Active {
		return []byte(`"inactive"`), nil
	}
	return []byte(`{"active":` + strconv.FormatUint(t.At, 10) + `}`), nil
}

// UnmarshalJSON reads "inactive" or {"active": n}.
func (t *Timer) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		if s != "inactive" {
			return fmt.Errorf("global_timer: unknown variant %q", s)
		}
		*t = Timer{}
		return nil
	}
	var m struct {
		Active *uint64 `json:"active"`
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Active == nil {
		return fmt.Errorf("global_timer must be \"inactive\" or {\"active\": n}, got %s", b)
	}
	*t = Timer{Active: true, At: *m.Active}
	return nil
}

// HookStatus is on_low_wasm_memory_hook_status.
type HookStatus string

// The hook statuses.
const (
	HookConditionNotSatisfied HookStatus = "condition_not_satisfied"
	HookReady                 HookStatus = "ready"
	HookExecuted              HookStatus = "executed"
)

// MarshalText writes the case name.
func (h HookStatus) MarshalText() ([]byte, error) { return []byte(h), nil }

// UnmarshalText reads the case name.
func (h *HookStatus) UnmarshalText(b []byte) error {
	switch x := HookStatus(b); x {
	case HookConditionNotSatisfied, HookReady, HookExecuted:
		*h = x
		return nil
	}
	return fmt.Errorf("on_low_wasm_memory_hook_status: unknown variant %q", b)
}

// Validate checks what an upload needs: every global known.
func (m *Metadata) Validate() error {
	for i, g := range m.Globals {
		if g == nil {
			return fmt.Errorf("globals[%d] is null: snapshot metadata contains unparseable globals", i)
		}
	}
	for i, c := range m.WasmChunkStore {
		if len(c.Hash) != 32 {
			return fmt.Errorf("wasm_chunk_store[%d].hash has %d bytes, want 32", i, len(c.Hash))
		}
	}
	return nil
}
