package replica

import (
	"encoding/hex"
	"math"
	"math/big"

	"github.com/aviate-labs/agent-go/candid/idl"
)

// Upper bounds on uploaded snapshot sizes (the IC's memory limits).
const (
	maxModuleSize = 100 << 20
	maxWasmMemory = 4 << 30
	maxStable     = 500 << 30
)

func limitExceeded(c *canister) error {
	return reject(ErrCanisterRejectedMessage,
		"Canister %s has reached the maximum number of snapshots allowed: %d.%s", text(c.id), maxSnapshots,
		help("Consider deleting an unnecessary snapshot of the specified canister before creating a new one.", ""))
}

// replaceTarget validates replace_snapshot and the snapshot limit; it
// returns the snapshot to replace (nil if none).
func replaceTarget(c *canister, a args) (*snapshot, error) {
	id, ok, err := a.optBlob("replace_snapshot")
	if err != nil {
		return nil, payloadErr(err)
	}
	if ok {
		old := c.findSnapshot(id)
		if old == nil {
			return nil, snapshotNotFound(c.id, id)
		}
		return old, nil
	}
	if len(c.snapshots) >= maxSnapshots {
		return nil, limitExceeded(c)
	}
	return nil, nil
}

func (s *state) addSnapshot(c *canister, replace *snapshot, snap *snapshot) {
	if replace != nil {
		c.removeSnapshot(replace.id)
	}
	snap.index = c.nextSnap
	snap.id = snapshotID(c.id, c.nextSnap)
	c.nextSnap++
	c.snapshots = append(c.snapshots, snap)
}

func snapshotValue(s *snapshot) map[string]any {
	return map[string]any{"id": s.id, "taken_at_timestamp": s.takenAt, "total_size": s.totalSize()}
}

func (s *state) takeSnapshot(sender []byte, a args) ([]byte, error) {
	c, err := s.controlled(sender, a)
	if err != nil {
		return nil, err
	}
	if c.exec.module == nil {
		return nil, reject(ErrCanisterRejectedMessage, "Failed to create snapshot for empty canister %s:", text(c.id))
	}
	replace, err := replaceTarget(c, a)
	if err != nil {
		return nil, err
	}
	uninstallAfter := false
	if v, ok := a.raw("uninstall_code"); ok && v != nil {
		b, ok := v.(bool)
		if !ok {
			return nil, payloadErr(a.wrong("uninstall_code", "an opt bool", v))
		}
		uninstallAfter = b
	}
	snap := &snapshot{takenAt: s.nowNanos(), version: c.version, state: c.exec.clone()}
	s.addSnapshot(c, replace, snap)
	if uninstallAfter {
		uninstall(c)
	}
	return encode(tSnapshot, snapshotValue(snap))
}

// sourceSnapshot finds the snapshot named by snapshot_id: in the target
// canister, or (load only) in the canister its id names.
func (s *state) sourceSnapshot(c *canister, a args) (*snapshot, *canister, error) {
	id, err := a.blob("snapshot_id")
	if err != nil {
		return nil, nil, payloadErr(err)
	}
	if snap := c.findSnapshot(id); snap != nil {
		return snap, c, nil
	}
	if len(id) > 8 {
		if owner, ok := s.canisters[string(id[8:])]; ok {
			if snap := owner.findSnapshot(id); snap != nil {
				return snap, owner, nil
			}
		}
	}
	return nil, nil, snapshotNotFound(c.id, id)
}

func (s *state) ownSnapshot(c *canister, a args) (*snapshot, error) {
	id, err := a.blob("snapshot_id")
	if err != nil {
		return nil, payloadErr(err)
	}
	snap := c.findSnapshot(id)
	if snap == nil {
		return nil, snapshotNotFound(c.id, id)
	}
	return snap, nil
}

func (s *state) loadSnapshot(sender []byte, a args) ([]byte, error) {
	c, err := s.controlled(sender, a)
	if err != nil {
		return nil, err
	}
	snap, owner, err := s.sourceSnapshot(c, a)
	if err != nil {
		return nil, err
	}
	if owner != c && !owner.isController(sender) {
		return nil, reject(ErrCanisterRejectedMessage,
			"Only a controller of the canister that snapshot %s belongs to can load it on canister %s. Sender: %s.%s",
			hex.EncodeToString(snap.id), text(c.id), text(sender),
			help("Make sure you are a controller of the canister that the snapshot belongs to.", ""))
	}
	next := snap.state.clone()
	if snap.uploaded {
		next.module = append([]byte(nil), snap.state.module...)
		if next.timer == nil {
			next.timer = c.exec.timer
		}
		if next.hook == nil {
			next.hook = c.exec.hook
		}
	}
	c.exec = next
	c.version++
	return emptyReply, nil
}

func (s *state) listSnapshots(sender []byte, a args) ([]byte, error) {
	c, err := s.controlled(sender, a)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(c.snapshots))
	for _, snap := range c.snapshots {
		out = append(out, snapshotValue(snap))
	}
	return encode(vec(tSnapshot), out)
}

func (s *state) deleteSnapshot(sender []byte, a args) ([]byte, error) {
	c, err := s.controlled(sender, a)
	if err != nil {
		return nil, err
	}
	snap, err := s.ownSnapshot(c, a)
	if err != nil {
		return nil, err
	}
	c.removeSnapshot(snap.id)
	return emptyReply, nil
}

func globalValue(g global) idl.Variant {
	switch g.Kind {
	case "i32":
		return variantOf("i32", int32(uint32(g.Bits)))
	case "i64":
		return variantOf("i64", int64(g.Bits))
	case "f32":
		return variantOf("f32", math.Float32frombits(uint32(g.Bits)))
	case "f64":
		return variantOf("f64", math.Float64frombits(g.Bits))
	default:
		b := g.Big
		if b == nil {
			b = new(big.Int)
		}
		return variantOf("v128", natBig(b))
	}
}

func (s *state) readSnapshotMetadata(sender []byte, a args) ([]byte, error) {
	c, err := s.controlled(sender, a)
	if err != nil {
		return nil, err
	}
	snap, err := s.ownSnapshot(c, a)
	if err != nil {
		return nil, err
	}
	st := &snap.state
	globals := make([]any, 0, len(st.globals))
	for _, g := range st.globals {
		globals = append(globals, globalValue(g))
	}
	chunks := make([]any, 0, len(st.chunkOrder))
	for _, k := range st.chunkOrder {
		h, _ := hex.DecodeString(k)
		chunks = append(chunks, map[string]any{"hash": h})
	}
	source := "taken_from_canister"
	moduleSize := uint64(len(st.module))
	if snap.uploaded {
		source = "metadata_upload"
		moduleSize = snap.moduleLen
	}
	var tm, hook any
	if st.timer != nil {
		if st.timer.Active {
			tm = variantOf("active", st.timer.At)
		} else {
			tm = variantOf("inactive", nil)
		}
	}
	if st.hook != nil {
		hook = variantOf(*st.hook, nil)
	}
	certified := st.certifiedData
	if certified == nil {
		certified = []byte{}
	}
	return encode(tSnapshotMetadata, map[string]any{
		"source":                         variantOf(source, nil),
		"taken_at_timestamp":             snap.takenAt,
		"wasm_module_size":               moduleSize,
		"globals":                        globals,
		"wasm_memory_size":               st.wasm.size,
		"stable_memory_size":             st.stable.size,
		"wasm_chunk_store":               chunks,
		"canister_version":               snap.version,
		"certified_data":                 certified,
		"global_timer":                   tm,
		"on_low_wasm_memory_hook_status": hook,
	})
}

func invalidSlice(offset, size uint64) error {
	return reject(ErrInvalidManagementPayload,
		"Invalid subslice into wasm module / main memory / stable memory: offset: %d, size: %d", offset, size)
}

// sliceArgs reads record { offset : nat64; size : nat64 } and checks it.
func sliceArgs(a args, v any, length uint64) (uint64, uint64, error) {
	sub := a.sub(v)
	off, err := sub.nat64("offset")
	if err != nil {
		return 0, 0, payloadErr(err)
	}
	size, err := sub.nat64("size")
	if err != nil {
		return 0, 0, payloadErr(err)
	}
	if size > maxSliceSize {
		return 0, 0, reject(ErrInvalidManagementPayload, "Requested slice too large: %d > %d", size, maxSliceSize)
	}
	if off > length || size > length-off {
		return 0, 0, invalidSlice(off, size)
	}
	return off, size, nil
}

func (s *state) readSnapshotData(sender []byte, a args) ([]byte, error) {
	c, err := s.controlled(sender, a)
	if err != nil {
		return nil, err
	}
	snap, err := s.ownSnapshot(c, a)
	if err != nil {
		return nil, err
	}
	kind, v, err := a.variant("kind", "wasm_module", "wasm_memory", "stable_memory", "wasm_chunk")
	if err != nil {
		return nil, payloadErr(err)
	}
	st := &snap.state
	switch kind {
	case "wasm_module":
		off, size, err := sliceArgs(a, v, uint64(len(st.module)))
		if err != nil {
			return nil, err
		}
		return encodeChunkReply(st.module[off : off+size]), nil
	case "wasm_memory", "stable_memory":
		mem := st.wasm
		if kind == "stable_memory" {
			mem = st.stable
		}
		off, size, err := sliceArgs(a, v, mem.size)
		if err != nil {
			return nil, err
		}
		buf := make([]byte, size)
		mem.readAt(buf, off)
		return encodeChunkReply(buf), nil
	default:
		h, err := a.sub(v).blob("hash")
		if err != nil {
			return nil, payloadErr(err)
		}
		chunk, ok := st.chunks[hex.EncodeToString(h)]
		if !ok {
			return nil, reject(ErrInvalidManagementPayload, "Wasm chunk with hash %s not found in snapshot %s", hex.EncodeToString(h), hex.EncodeToString(snap.id))
		}
		return encodeChunkReply(chunk), nil
	}
}
