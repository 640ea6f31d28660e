package replica

import (
	"fmt"
	"math"

	"github.com/aviate-labs/agent-go/candid/idl"
)

func caseName(v *idl.Variant, cases ...string) (string, bool) {
	for _, c := range cases {
		if v.Name == c || v.Name == idl.HashString(c) {
			return c, true
		}
	}
	return "", false
}

// decodeGlobals reads `vec variant { i32; i64; f32; f64; v128 }`.
func decodeGlobals(a args) ([]global, error) {
	raw, ok := a.raw("globals")
	if !ok {
		return nil, a.missing("globals")
	}
	list, ok := raw.([]any)
	if !ok && raw != nil {
		return nil, a.wrong("globals", "a vec variant", raw)
	}
	out := make([]global, 0, len(list))
	for i, x := range list {
		v, ok := x.(*idl.Variant)
		if !ok {
			return nil, fmt.Errorf("Error decoding candid: %s: globals[%d] must be a variant, got %T", a.method, i, x)
		}
		name, _ := caseName(v, "i32", "i64", "f32", "f64", "v128")
		g := global{Kind: name}
		switch val := v.Value.(type) {
		case int32:
			g.Bits = uint64(uint32(val))
		case int64:
			g.Bits = uint64(val)
		case float32:
			g.Bits = uint64(math.Float32bits(val))
		case float64:
			g.Bits = math.Float64bits(val)
		case idl.Nat:
			g.Big = val.BigInt()
		default:
			return nil, fmt.Errorf("Error decoding candid: %s: globals[%d] has unsupported value %T", a.method, i, v.Value)
		}
		if name == "" {
			return nil, fmt.Errorf("Error decoding candid: %s: globals[%d] has unknown case (hash %s)", a.method, i, v.Name)
		}
		out = append(out, g)
	}
	return out, nil
}

func decodeTimer(a args) (*timer, error) {
	raw, ok := a.raw("global_timer")
	if !ok || raw == nil {
		return nil, nil
	}
	v, ok := raw.(*idl.Variant)
	if !ok {
		return nil, a.wrong("global_timer", "an opt variant", raw)
	}
	name, ok := caseName(v, "inactive", "active")
	if !ok {
		return nil, a.wrong("global_timer", "inactive or active", raw)
	}
	if name == "inactive" {
		return &timer{}, nil
	}
	at, err := toUint64(a, "global_timer.active", v.Value)
	if err != nil {
		return nil, err
	}
	return &timer{Active: true, At: at}, nil
}

func decodeHook(a args) (*string, error) {
	raw, ok := a.raw("on_low_wasm_memory_hook_status")
	if !ok || raw == nil {
		return nil, nil
	}
	v, ok := raw.(*idl.Variant)
	if !ok {
		return nil, a.wrong("on_low_wasm_memory_hook_status", "an opt variant", raw)
	}
	name, ok := caseName(v, "condition_not_satisfied", "ready", "executed")
	if !ok {
		return nil, a.wrong("on_low_wasm_memory_hook_status", "a known hook status", raw)
	}
	return &name, nil
}

func (s *state) uploadSnapshotMetadata(sender []byte, a args) ([]byte, error) {
	c, err := s.controlled(sender, a)
	if err != nil {
		return nil, err
	}
	moduleSize, err := a.nat64("wasm_module_size")
	if err != nil {
		return nil, payloadErr(err)
	}
	wasmSize, err := a.nat64("wasm_memory_size")
	if err != nil {
		return nil, payloadErr(err)
	}
	stableSize, err := a.nat64("stable_memory_size")
	if err != nil {
		return nil, payloadErr(err)
	}
	certified, err := a.blob("certified_data")
	if err != nil {
		return nil, payloadErr(err)
	}
	globals, err := decodeGlobals(a)
	if err != nil {
		return nil, payloadErr(err)
	}
	tm, err := decodeTimer(a)
	if err != nil {
		return nil, payloadErr(err)
	}
	hook, err := decodeHook(a)
	if err != nil {
		return nil, payloadErr(err)
	}
	switch {
	case moduleSize > maxModuleSize:
		return nil, reject(ErrInvalidManagementPayload, "Invalid snapshot metadata: wasm_module_size %d exceeds the maximum of %d", moduleSize, maxModuleSize)
	case wasmSize > maxWasmMemory:
		return nil, reject(ErrInvalidManagementPayload, "Invalid snapshot metadata: wasm_memory_size %d exceeds the maximum of %d", wasmSize, uint64(maxWasmMemory))
	case stableSize > maxStable:
		return nil, reject(ErrInvalidManagementPayload, "Invalid snapshot metadata: stable_memory_size %d exceeds the maximum of %d", stableSize, uint64(maxStable))
	case len(certified) > 32:
		return nil, reject(ErrInvalidManagementPayload, "Invalid snapshot metadata: certified_data is %d bytes, at most 32 allowed", len(certified))
	}
	replace, err := replaceTarget(c, a)
	if err != nil {
		return nil, err
	}
	snap := &snapshot{
		takenAt:   s.nowNanos(),
		uploaded:  true,
		version:   c.version,
		moduleLen: moduleSize,
		state: execState{
			module:        make([]byte, moduleSize),
			wasm:          newZeroMemory(wasmSize),
			stable:        newZeroMemory(stableSize),
			chunks:        map[string][]byte{},
			globals:       globals,
			certifiedData: certified,
			timer:         tm,
			hook:          hook,
		},
	}
	s.addSnapshot(c, replace, snap)
	return encode(tUploadMetadataResult, map[string]any{"snapshot_id": snap.id})
}

func (s *state) uploadSnapshotData(sender []byte, a args) ([]byte, error) {
	c, err := s.controlled(sender, a)
	if err != nil {
		return nil, err
	}
	snap, err := s.ownSnapshot(c, a)
	if err != nil {
		return nil, err
	}
	if !snap.uploaded {
		return nil, reject(ErrCanisterSnapshotImmutable, "Only canister snapshots created by metadata upload can be mutated.")
	}
	kind, v, err := a.variant("kind", "wasm_module", "wasm_memory", "stable_memory", "wasm_chunk")
	if err != nil {
		return nil, payloadErr(err)
	}
	chunk, err := a.blob("chunk")
	if err != nil {
		return nil, payloadErr(err)
	}
	st := &snap.state
	size := uint64(len(chunk))
	if kind == "wasm_chunk" {
		if size > 1<<20 {
			return nil, reject(ErrCanisterContractViolation, "Error from Wasm chunk store: Wasm chunk size %d exceeds the maximum chunk size of %d.", size, 1<<20)
		}
		addChunk(st, chunk)
		return emptyReply, nil
	}
	off, err := a.sub(v).nat64("offset")
	if err != nil {
		return nil, payloadErr(err)
	}
	switch kind {
	case "wasm_module":
		if off > uint64(len(st.module)) || size > uint64(len(st.module))-off {
			return nil, invalidSlice(off, size)
		}
		// The buffer is the snapshot's own: load copies it.
		copy(st.module[off:], chunk)
	default:
		mem := st.wasm
		if kind == "stable_memory" {
			mem = st.stable
		}
		if off > mem.size || size > mem.size-off {
			return nil, invalidSlice(off, size)
		}
		mem.writeAt(chunk, off)
	}
	return emptyReply, nil
}
