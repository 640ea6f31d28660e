package mgmt

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/big"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/principal"
)

// Method names of the management canister.
const (
	MethodCanisterStatus        = "canister_status"
	MethodStop                  = "stop_canister"
	MethodStart                 = "start_canister"
	MethodTake                  = "take_canister_snapshot"
	MethodList                  = "list_canister_snapshots"
	MethodDelete                = "delete_canister_snapshot"
	MethodLoad                  = "load_canister_snapshot"
	MethodReadMetadata          = "read_canister_snapshot_metadata"
	MethodReadData              = "read_canister_snapshot_data"
	MethodUploadMetadata        = "upload_canister_snapshot_metadata"
	MethodUploadData            = "upload_canister_snapshot_data"
	MethodSubnetRegistry        = "canic_subnet_registry"
	MaxSliceBytes        uint64 = 2_000_000
)

// Empty is the candid encoding of ().
var Empty = []byte("DIDL\x00\x00")

func enc(t idl.Type, v map[string]any) ([]byte, error) {
	return idl.Encode([]idl.Type{t}, []any{v})
}

func pr(p principal.Principal) principal.Principal {
	if p.Raw == nil {
		p.Raw = []byte{}
	}
	return p
}

// CanisterArg encodes record { canister_id }.
func CanisterArg(c principal.Principal) ([]byte, error) {
	return enc(tCanisterArg, map[string]any{"canister_id": pr(c)})
}

// SnapshotArg encodes record { canister_id; snapshot_id }.
func SnapshotArg(c principal.Principal, id []byte) ([]byte, error) {
	return enc(tSnapshotArg, map[string]any{"canister_id": pr(c), "snapshot_id": id})
}

// TakeArg encodes take_canister_snapshot_args without replace_snapshot.
func TakeArg(c principal.Principal) ([]byte, error) {
	return enc(tTakeArg, map[string]any{"canister_id": pr(c), "replace_snapshot": nil})
}

// LoadArg encodes load_canister_snapshot_args.
func LoadArg(c principal.Principal, id []byte) ([]byte, error) {
	return enc(tLoadArg, map[string]any{"canister_id": pr(c), "snapshot_id": id, "sender_canister_version": nil})
}

// ReadRangeArg encodes read_canister_snapshot_data_args for a byte range
// of kind wasm_module, wasm_memory or stable_memory.
func ReadRangeArg(c principal.Principal, id []byte, kind string, offset, size uint64) ([]byte, error) {
	return enc(tReadArg, map[string]any{"canister_id": pr(c), "snapshot_id": id,
		"kind": idl.Variant{Name: kind, Value: map[string]any{"offset": offset, "size": size}}})
}

// ReadChunkArg encodes read_canister_snapshot_data_args for a chunk-store
// entry.
func ReadChunkArg(c principal.Principal, id, hash []byte) ([]byte, error) {
	return enc(tReadArg, map[string]any{"canister_id": pr(c), "snapshot_id": id,
		"kind": idl.Variant{Name: "wasm_chunk", Value: map[string]any{"hash": hash}}})
}

// UploadMetadataArg encodes upload_canister_snapshot_metadata_args from m.
func UploadMetadataArg(c principal.Principal, m *Metadata) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	globals := make([]any, 0, len(m.Globals))
	for _, g := range m.Globals {
		var v any
		switch g.Kind {
		case "i32":
			v = int32(uint32(g.Bits))
		case "i64":
			v = int64(g.Bits)
		case "f32":
			v = math.Float32frombits(uint32(g.Bits))
		case "f64":
			v = math.Float64frombits(g.Bits)
		case "v128":
			n := g.V128
			if n == nil {
				n = new(big.Int)
			}
			v = idl.NewBigNat(n)
		default:
			return nil, fmt.Errorf("global of unknown kind %q", g.Kind)
		}
		globals = append(globals, idl.Variant{Name: g.Kind, Value: v})
	}
	var timer, hook any
	if m.GlobalTimer != nil {
		if m.GlobalTimer.Active {
			timer = idl.Variant{Name: "active", Value: m.GlobalTimer.At}
		} else {
			timer = idl.Variant{Name: "inactive"}
		}
	}
	if m.OnLowWasmMemoryHookStatus != nil {
		hook = idl.Variant{Name: string(*m.OnLowWasmMemoryHookStatus)}
	}
	cd := m.CertifiedData
	if cd == nil {
		cd = []byte{}
	}
	return enc(tUploadMetaArg, map[string]any{
		"canister_id": pr(c), "replace_snapshot": nil,
		"wasm_module_size": m.WasmModuleSize, "globals": globals,
		"wasm_memory_size": m.WasmMemorySize, "stable_memory_size": m.StableMemorySize,
		"certified_data": cd, "global_timer": timer, "on_low_wasm_memory_hook_status": hook,
	})
}

// RunStatus is a decoded canister status.
type RunStatus string

// Status is the part of canister_status_result the driver uses.
type Status struct {
	// Status is running, stopping or stopped.
	Status string
	// Controllers are the controllers.
	Controllers []principal.Principal
	// ModuleHash is the module's sha256, nil when empty.
	ModuleHash []byte
	// MemorySize is the memory footprint in bytes.
	MemorySize uint64
	// Cycles is the balance (saturated at 2^64-1); HasCycles says it was
	// present in the reply.
	Cycles    uint64
	HasCycles bool
	// FreezingThreshold is settings.freezing_threshold in seconds.
	FreezingThreshold uint64
	// IdleCyclesBurnedPerDay is idle_cycles_burned_per_day.
	IdleCyclesBurnedPerDay uint64
}

// DecodeStatus decodes a canister_status reply generically, so fields
// newer than this code are ignored.
func DecodeStatus(raw []byte) (Status, error) {
	v, err := decodeOne(MethodCanisterStatus, raw)
	if err != nil {
		return Status{}, err
	}
	r, err := asRecord(MethodCanisterStatus, v)
	if err != nil {
		return Status{}, err
	}
	var out Status
	sv, err := r.get("status")
	if err != nil {
		return Status{}, err
	}
	if out.Status, _, err = variantCase(MethodCanisterStatus+".status", sv, "running", "stopping", "stopped"); err != nil {
		return Status{}, err
	}
	settings, err := r.sub("settings")
	if err != nil {
		return Status{}, err
	}
	cv, err := settings.get("controllers")
	if err != nil {
		return Status{}, err
	}
	list, err := toList(MethodCanisterStatus+".settings.controllers", cv)
	if err != nil {
		return Status{}, err
	}
	for i, x := range list {
		p, err := toPrincipal(fmt.Sprintf("%s.settings.controllers[%d]", MethodCanisterStatus, i), x)
		if err != nil {
			return Status{}, err
		}
		out.Controllers = append(out.Controllers, p)
	}
	if mh := r.opt("module_hash"); mh != nil {
		if out.ModuleHash, err = toBlob(MethodCanisterStatus+".module_hash", mh); err != nil {
			return Status{}, err
		}
	}
	if ms := r.opt("memory_size"); ms != nil {
		if out.MemorySize, err = toUint64(MethodCanisterStatus+".memory_size", ms); err != nil {
			return Status{}, err
		}
	}
	if cy := r.opt("cycles"); cy != nil {
		if out.Cycles, err = toUint64Sat(MethodCanisterStatus+".cycles", cy); err != nil {
			return Status{}, err
		}
		out.HasCycles = true
	}
	if ft := settings.opt("freezing_threshold"); ft != nil {
		if out.FreezingThreshold, err = toUint64Sat(MethodCanisterStatus+".settings.freezing_threshold", ft); err != nil {
			return Status{}, err
		}
	}
	if ib := r.opt("idle_cycles_burned_per_day"); ib != nil {
		if out.IdleCyclesBurnedPerDay, err = toUint64Sat(MethodCanisterStatus+".idle_cycles_burned_per_day", ib); err != nil {
			return Status{}, err
		}
	}
	return out, nil
}

// Snapshot is a decoded `snapshot` record.
type Snapshot struct {
	// ID is the snapshot id.
	ID []byte
	// TakenAt is when it was taken (ns).
	TakenAt uint64
	// TotalSize is its size in bytes.
	TotalSize uint64
}

// HexID is the id in lowercase hex.
func (s Snapshot) HexID() string { return hex.EncodeToString(s.ID) }

func snapshotOf(what string, v any) (Snapshot, error) {
	r, err := asRecord(what, v)
	if err != nil {
		return Snapshot{}, err
	}
	var s Snapshot
	if s.ID, err = r.blob("id"); err != nil {
		return Snapshot{}, err
	}
	if s.TakenAt, err = r.nat64("taken_at_timestamp"); err != nil {
		return Snapshot{}, err
	}
	if s.TotalSize, err = r.nat64("total_size"); err != nil {
		return Snapshot{}, err
	}
	return s, nil
}

// DecodeSnapshot decodes take_canister_snapshot's reply.
func DecodeSnapshot(raw []byte) (Snapshot, error) {
	v, err := decodeOne(MethodTake, raw)
	if err != nil {
		return Snapshot{}, err
	}
	return snapshotOf(MethodTake, v)
}

// DecodeSnapshots decodes list_canister_snapshots' reply.
func DecodeSnapshots(raw []byte) ([]Snapshot, error) {
	v, err := decodeOne(MethodList, raw)
	if err != nil {
		return nil, err
	}
	list, err := toList(MethodList, v)
	if err != nil {
		return nil, err
	}
	out := make([]Snapshot, 0, len(list))
	for i, x := range list {
		s, err := snapshotOf(fmt.Sprintf("%s[%d]", MethodList, i), x)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// DecodeUploadMetadata decodes upload_canister_snapshot_metadata's reply.
func DecodeUploadMetadata(raw []byte) ([]byte, error) {
	v, err := decodeOne(MethodUploadMetadata, raw)
	if err != nil {
		return nil, err
	}
	r, err := asRecord(MethodUploadMetadata, v)
	if err != nil {
		return nil, err
	}
	return r.blob("snapshot_id")
}

// DecodeMetadata decodes read_canister_snapshot_metadata's reply,
// including the `reserved` payloads of source that agent-go's struct
// decoder refuses.
func DecodeMetadata(raw []byte) (*Metadata, error) {
	const what = MethodReadMetadata
	v, err := decodeOne(what, raw)
	if err != nil {
		return nil, err
	}
	r, err := asRecord(what, v)
	if err != nil {
		return nil, err
	}
	m := &Metadata{}
	if sv := r.opt("source"); sv != nil {
		name, _, err := variantCase(what+".source", sv, string(SourceTakenFromCanister), string(SourceMetadataUpload))
		if err == nil {
			s := Source(name)
			m.Source = &s
		}
	}
	for _, f := range []struct {
		name string
		dst  *uint64
	}{
		{"taken_at_timestamp", &m.TakenAtTimestamp}, {"wasm_module_size", &m.WasmModuleSize},
		{"wasm_memory_size", &m.WasmMemorySize}, {"stable_memory_size", &m.StableMemorySize},
		{"canister_version", &m.CanisterVersion},
	} {
		if *f.dst, err = r.nat64(f.name); err != nil {
			return nil, err
		}
	}
	gv, err := r.get("globals")
	if err != nil {
		return nil, err
	}
	gl, err := toList(what+".globals", gv)
	if err != nil {
		return nil, err
	}
	m.Globals = make([]*Global, 0, len(gl))
	for i, x := range gl {
		if x == nil {
			m.Globals = append(m.Globals, nil)
			continue
		}
		gw := fmt.Sprintf("%s.globals[%d]", what, i)
		name, val, err := variantCase(gw, x, "i32", "i64", "f32", "f64", "v128")
		if err != nil {
			m.Globals = append(m.Globals, nil) // a kind newer than this code
			continue
		}
		g := &Global{Kind: name}
		switch n := val.(type) {
		case int32:
			g.Bits = uint64(uint32(n))
		case int64:
			g.Bits = uint64(n)
		case float32:
			g.Bits = uint64(math.Float32bits(n))
		case float64:
			g.Bits = math.Float64bits(n)
		case idl.Nat:
			g.V128 = n.BigInt()
		default:
			return nil, fmt.Errorf("%s: unexpected %s value %T", gw, name, val)
		}
		m.Globals = append(m.Globals, g)
	}
	cv, err := r.get("wasm_chunk_store")
	if err != nil {
		return nil, err
	}
	cl, err := toList(what+".wasm_chunk_store", cv)
	if err != nil {
		return nil, err
	}
	m.WasmChunkStore = make([]ChunkHash, 0, len(cl))
	for i, x := range cl {
		cr, err := asRecord(fmt.Sprintf("%s.wasm_chunk_store[%d]", what, i), x)
		if err != nil {
			return nil, err
		}
		h, err := cr.blob("hash")
		if err != nil {
			return nil, err
		}
		m.WasmChunkStore = append(m.WasmChunkStore, ChunkHash{Hash: h})
	}
	if m.CertifiedData, err = r.blob("certified_data"); err != nil {
		return nil, err
	}
	if tv := r.opt("global_timer"); tv != nil {
		name, val, err := variantCase(what+".global_timer", tv, "inactive", "active")
		if err != nil {
			return nil, err
		}
		t := &Timer{}
		if name == "active" {
			t.Active = true
			if t.At, err = toUint64(what+".global_timer.active", val); err != nil {
				return nil, err
			}
		}
		m.GlobalTimer = t
	}
	if hv := r.opt("on_low_wasm_memory_hook_status"); hv != nil {
		name, _, err := variantCase(what+".on_low_wasm_memory_hook_status", hv,
			string(HookConditionNotSatisfied), string(HookReady), string(HookExecuted))
		if err != nil {
			return nil, err
		}
		h := HookStatus(name)
		m.OnLowWasmMemoryHookStatus = &h
	}
	return m, nil
}

// RegistryEntry is one canic_subnet_registry record.
type RegistryEntry struct {
	// PID is the canister.
	PID principal.Principal
	// Role is its role.
	Role string
	// Parent is its parent, nil for the root.
	Parent *principal.Principal
	// ModuleHash is its module hash, nil when unknown.
	ModuleHash []byte
	// CreatedAt is the creation time canic recorded.
	CreatedAt uint64
}

// RegistryError is the Err case of canic_subnet_registry.
type RegistryError struct {
	// Code is the canic error code name, such as "Unauthorized".
	Code string
	// Message is canic's message.
	Message string
}

// Error renders the code and message.
func (e *RegistryError) Error() string {
	return fmt.Sprintf("canic_subnet_registry returned Err %s: %s", e.Code, e.Message)
}

var registryCodes = []string{"Conflict", "Forbidden", "Internal", "InvalidInput", "InvariantViolation", "NotFound",
	"PolicyInstanceRequiresSingletonWithDirectory", "PolicyReplicaRequiresSingletonWithScaling",
	"PolicyRoleAlreadyRegistered", "PolicyShardRequiresSingletonWithSharding",
	"PolicySingletonAlreadyRegisteredUnderParent", "ResourceExhausted", "Unauthorized", "Unavailable"}

// DecodeRegistry decodes canic_subnet_registry's reply; the Err case is a
// *RegistryError.
func DecodeRegistry(raw []byte) ([]RegistryEntry, error) {
	const what = MethodSubnetRegistry
	v, err := decodeOne(what, raw)
	if err != nil {
		return nil, err
	}
	name, val, err := variantCase(what, v, "Ok", "Err")
	if err != nil {
		return nil, err
	}
	if name == "Err" {
		r, err := asRecord(what+".Err", val)
		if err != nil {
			return nil, err
		}
		e := &RegistryError{}
		if cv, err := r.get("code"); err == nil {
			e.Code, _, _ = variantCase(what+".Err.code", cv, registryCodes...)
		}
		e.Message, _ = r.text("message")
		return nil, e
	}
	list, err := toList(what+".Ok", val)
	if err != nil {
		return nil, err
	}
	out := make([]RegistryEntry, 0, len(list))
	for i, x := range list {
		w := fmt.Sprintf("%s.Ok[%d]", what, i)
		r, err := asRecord(w, x)
		if err != nil {
			return nil, err
		}
		var e RegistryEntry
		if e.PID, err = r.principal("pid"); err != nil {
			return nil, err
		}
		if e.Role, err = r.text("role"); err != nil {
			return nil, err
		}
		inner, err := r.sub("record")
		if err != nil {
			return nil, err
		}
		if pv := inner.opt("parent_pid"); pv != nil {
			p, err := toPrincipal(w+".record.parent_pid", pv)
			if err != nil {
				return nil, err
			}
			e.Parent = &p
		}
		if hv := inner.opt("module_hash"); hv != nil {
			if e.ModuleHash, err = toBlob(w+".record.module_hash", hv); err != nil {
				return nil, err
			}
		}
		if e.CreatedAt, err = inner.nat64("created_at"); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
