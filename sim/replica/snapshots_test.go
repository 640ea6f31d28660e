package replica

import (
	"context"
	"encoding/hex"
	"testing"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/stretchr/testify/require"
)

type sliceRec struct {
	Offset uint64 `ic:"offset"`
	Size   uint64 `ic:"size"`
}

type readDataArg struct {
	CanisterID principal.Principal `ic:"canister_id"`
	SnapshotID []byte              `ic:"snapshot_id"`
	Kind       idl.Variant         `ic:"kind"`
}

var sliceType = idl.NewRecordType(map[string]idl.Type{"offset": idl.Nat64Type(), "size": idl.Nat64Type()})

func readData(t *testing.T, r *Replica, c, snap []byte, kind string, off, size uint64) ([]byte, error) {
	t.Helper()
	out, err := mgmt(t, r, alice, "read_canister_snapshot_data", readDataArg{CanisterID: cid(c), SnapshotID: snap,
		Kind: idl.Variant{Name: kind, Value: sliceRec{off, size}, Type: sliceType}})
	if err != nil {
		return nil, err
	}
	return mustBlob(t, field(t, decode1(t, out), "chunk")), nil
}

func TestTakeMutateLoadRestoresDigest(t *testing.T) {
	r := newTestReplica(t)
	c := installed(t, r)
	require.NoError(t, mutate(t, r, c, 7))
	before := digestOf(t, r, c)
	snap := take(t, r, c)
	// The IC's id layout: 8-byte big-endian local index ‖ canister id.
	require.Equal(t, append(make([]byte, 8), c...), snap.ID)
	require.Equal(t, uint64(fixedClock().UnixNano()), snap.TakenAtTimestamp)
	require.NotZero(t, snap.TotalSize)

	require.NoError(t, mutate(t, r, c, 8))
	require.NotEqual(t, before, digestOf(t, r, c))
	mustMgmt(t, r, alice, "load_canister_snapshot", snapshotArg{cid(c), snap.ID})
	require.Equal(t, before, digestOf(t, r, c))

	// The snapshot is unchanged by later writes to the canister.
	require.NoError(t, mutate(t, r, c, 9))
	mustMgmt(t, r, alice, "load_canister_snapshot", snapshotArg{cid(c), snap.ID})
	require.Equal(t, before, digestOf(t, r, c))

	// list and delete.
	var list []snapshotRec
	require.NoError(t, idl.Unmarshal(mustMgmt(t, r, alice, "list_canister_snapshots", canisterIDArg{cid(c)}), []any{&list}))
	require.Len(t, list, 1)
	require.Equal(t, snap.ID, list[0].ID)
	mustMgmt(t, r, alice, "delete_canister_snapshot", snapshotArg{cid(c), snap.ID})
	_, err := mgmt(t, r, alice, "delete_canister_snapshot", snapshotArg{cid(c), snap.ID})
	requireReject(t, err, 3, ErrCanisterSnapshotNotFound,
		"Could not find the snapshot ID "+hex.EncodeToString(snap.ID)+" for canister "+text(c)+".")
	_, err = mgmt(t, r, alice, "load_canister_snapshot", snapshotArg{cid(c), snap.ID})
	requireReject(t, err, 3, ErrCanisterSnapshotNotFound, "Could not find the snapshot ID")
}

func TestSnapshotLimitAndReplace(t *testing.T) {
	r := newTestReplica(t)
	c := installed(t, r)
	var ids [][]byte
	for i := 0; i < maxSnapshots; i++ {
		ids = append(ids, take(t, r, c).ID)
	}
	_, err := mgmt(t, r, alice, "take_canister_snapshot", takeArg{CanisterID: cid(c)})
	requireReject(t, err, 4, ErrCanisterRejectedMessage,
		"Canister "+text(c)+" has reached the maximum number of snapshots allowed: 10.")
	// replace_snapshot swaps one out at the limit.
	out := mustMgmt(t, r, alice, "take_canister_snapshot", takeArg{CanisterID: cid(c), ReplaceSnapshot: &ids[3]})
	var s snapshotRec
	require.NoError(t, idl.Unmarshal(out, []any{&s}))
	require.Equal(t, snapshotID(c, 10), s.ID)
	var list []snapshotRec
	require.NoError(t, idl.Unmarshal(mustMgmt(t, r, alice, "list_canister_snapshots", canisterIDArg{cid(c)}), []any{&list}))
	require.Len(t, list, maxSnapshots)
	for _, l := range list {
		require.NotEqual(t, ids[3], l.ID)
	}
	missing := snapshotID(c, 99)
	_, err = mgmt(t, r, alice, "take_canister_snapshot", takeArg{CanisterID: cid(c), ReplaceSnapshot: &missing})
	requireReject(t, err, 3, ErrCanisterSnapshotNotFound, hex.EncodeToString(missing))

	// uninstall_code empties the canister after the snapshot.
	yes := true
	mustMgmt(t, r, alice, "take_canister_snapshot", takeArg{CanisterID: cid(c), ReplaceSnapshot: &ids[0], UninstallCode: &yes})
	h, _ := r.ModuleHash(c)
	require.Nil(t, h)
}

func TestReadSnapshotDataBounds(t *testing.T) {
	r := newTestReplica(t)
	f, err := r.SeedFleet(FleetSpec{Name: "demo", Size: 4 << 20, Controllers: [][]byte{alice}, Seed: 1})
	require.NoError(t, err)
	c := f.Root
	snap := take(t, r, c)
	wasmSize := uint64(3 << 20)

	chunk, err := readData(t, r, c, snap.ID, "wasm_memory", 0, maxSliceSize)
	require.NoError(t, err)
	require.Len(t, chunk, maxSliceSize)
	tail, err := readData(t, r, c, snap.ID, "wasm_memory", wasmSize-10, 10)
	require.NoError(t, err)
	require.Len(t, tail, 10)

	_, err = readData(t, r, c, snap.ID, "wasm_memory", 0, maxSliceSize+1)
	requireReject(t, err, 4, ErrInvalidManagementPayload, "Requested slice too large: 2000001 > 2000000")
	_, err = readData(t, r, c, snap.ID, "wasm_memory", wasmSize-10, 11)
	requireReject(t, err, 4, ErrInvalidManagementPayload,
		"Invalid subslice into wasm module / main memory / stable memory: offset: 3145718, size: 11")
	_, err = readData(t, r, c, snap.ID, "stable_memory", 1<<20, 1)
	requireReject(t, err, 4, ErrInvalidManagementPayload, "Invalid subslice")
	mod, err := readData(t, r, c, snap.ID, "wasm_module", 0, 8)
	require.NoError(t, err)
	require.Equal(t, []byte("\x00asm\x01\x00\x00\x00"), mod)

	// Uploading data into a taken snapshot is refused.
	_, err = mgmt(t, r, alice, "upload_canister_snapshot_data", uploadDataArg{CanisterID: cid(c), SnapshotID: snap.ID,
		Kind: idl.Variant{Name: "wasm_memory", Value: offsetRec{0}, Type: offsetType}, Chunk: []byte{1}})
	requireReject(t, err, 4, ErrCanisterSnapshotImmutable, "Only canister snapshots created by metadata upload can be mutated.")
}

type offsetRec struct {
	Offset uint64 `ic:"offset"`
}

var offsetType = idl.NewRecordType(map[string]idl.Type{"offset": idl.Nat64Type()})

type uploadDataArg struct {
	CanisterID principal.Principal `ic:"canister_id"`
	SnapshotID []byte              `ic:"snapshot_id"`
	Kind       idl.Variant         `ic:"kind"`
	Chunk      []byte              `ic:"chunk"`
}

// downloadAll reads a whole blob in 2,000,000-byte slices, as icp does.
func downloadAll(t *testing.T, r *Replica, c, snap []byte, kind string, size uint64) []byte {
	t.Helper()
	var out []byte
	for off := uint64(0); off < size; off += maxSliceSize {
		n := min(uint64(maxSliceSize), size-off)
		b, err := readData(t, r, c, snap, kind, off, n)
		require.NoError(t, err)
		out = append(out, b...)
	}
	return out
}

func TestDownloadUploadLoadEqualsOriginal(t *testing.T) {
	r := newTestReplica(t)
	f, err := r.SeedFleet(FleetSpec{Name: "demo", Children: 1, Depth: 1, Size: 3 << 20, Controllers: [][]byte{alice}, Seed: 3})
	require.NoError(t, err)
	src := f.All[1]
	require.NoError(t, mutate(t, r, src, 42))
	mustMgmt(t, r, alice, "upload_chunk", struct {
		CanisterID principal.Principal `ic:"canister_id"`
		Chunk      []byte              `ic:"chunk"`
	}{cid(src), []byte("chunk-one")})
	want := digestOf(t, r, src)
	wantHash, _ := r.ModuleHash(src)
	snap := take(t, r, src)

	md := decode1(t, mustMgmt(t, r, alice, "read_canister_snapshot_metadata", snapshotArg{cid(src), snap.ID}))
	require.Equal(t, idl.HashString("taken_from_canister"), field(t, md, "source").(*idl.Variant).Name)
	modSize := field(t, md, "wasm_module_size").(uint64)
	wasmSize := field(t, md, "wasm_memory_size").(uint64)
	stableSize := field(t, md, "stable_memory_size").(uint64)
	require.Equal(t, uint64(3<<20-3<<20/4), wasmSize)
	globals := field(t, md, "globals").([]any)
	require.Len(t, globals, 2)
	require.Equal(t, int64(42), globals[1].(*idl.Variant).Value)
	chunks := field(t, md, "wasm_chunk_store").([]any)
	require.Len(t, chunks, 1)

	module := downloadAll(t, r, src, snap.ID, "wasm_module", modSize)
	wasm := downloadAll(t, r, src, snap.ID, "wasm_memory", wasmSize)
	stable := downloadAll(t, r, src, snap.ID, "stable_memory", stableSize)
	chunkHash := mustBlob(t, field(t, chunks[0], "hash"))
	out, err := mgmt(t, r, alice, "read_canister_snapshot_data", readDataArg{CanisterID: cid(src), SnapshotID: snap.ID,
		Kind: idl.Variant{Name: "wasm_chunk", Value: struct {
			Hash []byte `ic:"hash"`
		}{chunkHash}, Type: idl.NewRecordType(map[string]idl.Type{"hash": idl.NewVectorType(idl.Nat8Type())})}})
	require.NoError(t, err)
	chunk := mustBlob(t, field(t, decode1(t, out), "chunk"))
	require.Equal(t, []byte("chunk-one"), chunk)

	// Upload onto a fresh canister (a restore to another canister).
	dst := installed(t, r)
	globalType := idl.NewVariantType(map[string]idl.Type{"i32": idl.Int32Type(), "i64": idl.Int64Type(),
		"f32": idl.Float32Type(), "f64": idl.Float64Type(), "v128": new(idl.NatType)})
	meta, err := idl.Encode([]idl.Type{idl.NewRecordType(map[string]idl.Type{
		"canister_id":        new(idl.PrincipalType),
		"replace_snapshot":   idl.NewOptionalType(idl.NewVectorType(idl.Nat8Type())),
		"wasm_module_size":   idl.Nat64Type(),
		"globals":            idl.NewVectorType(globalType),
		"wasm_memory_size":   idl.Nat64Type(),
		"stable_memory_size": idl.Nat64Type(),
		"certified_data":     idl.NewVectorType(idl.Nat8Type()),
		"global_timer":       idl.NewOptionalType(tGlobalTimer),
	})}, []any{map[string]any{
		"canister_id": cid(dst), "replace_snapshot": nil, "wasm_module_size": modSize,
		"globals":          []any{idl.Variant{Name: "i32", Value: int32(0)}, idl.Variant{Name: "i64", Value: int64(42)}},
		"wasm_memory_size": wasmSize, "stable_memory_size": stableSize, "certified_data": []byte{},
		"global_timer": idl.Variant{Name: "active", Value: uint64(123)},
	}})
	require.NoError(t, err)
	out, err = r.Execute(context.Background(), Call{Sender: alice, Method: "upload_canister_snapshot_metadata", Arg: meta})
	require.NoError(t, err)
	upID := mustBlob(t, field(t, decode1(t, out), "snapshot_id"))
	require.Equal(t, append(make([]byte, 8), dst...), upID)

	upload := func(kind string, data []byte) {
		for off := 0; off < len(data); off += maxSliceSize {
			end := min(off+maxSliceSize, len(data))
			mustMgmt(t, r, alice, "upload_canister_snapshot_data", uploadDataArg{CanisterID: cid(dst), SnapshotID: upID,
				Kind: idl.Variant{Name: kind, Value: offsetRec{uint64(off)}, Type: offsetType}, Chunk: data[off:end]})
		}
	}
	upload("wasm_module", module)
	upload("wasm_memory", wasm)
	upload("stable_memory", stable)
	mustMgmt(t, r, alice, "upload_canister_snapshot_data", uploadDataArg{CanisterID: cid(dst), SnapshotID: upID,
		Kind: idl.Variant{Name: "wasm_chunk", Value: nil, Type: new(idl.NullType)}, Chunk: chunk})
	// Out of bounds upload.
	_, err = mgmt(t, r, alice, "upload_canister_snapshot_data", uploadDataArg{CanisterID: cid(dst), SnapshotID: upID,
		Kind: idl.Variant{Name: "stable_memory", Value: offsetRec{stableSize}, Type: offsetType}, Chunk: []byte{1}})
	requireReject(t, err, 4, ErrInvalidManagementPayload, "Invalid subslice")

	upMeta := decode1(t, mustMgmt(t, r, alice, "read_canister_snapshot_metadata", snapshotArg{cid(dst), upID}))
	require.Equal(t, idl.HashString("metadata_upload"), field(t, upMeta, "source").(*idl.Variant).Name)

	mustMgmt(t, r, alice, "load_canister_snapshot", snapshotArg{cid(dst), upID})
	require.Equal(t, want, digestOf(t, r, dst))
	gotHash, _ := r.ModuleHash(dst)
	require.Equal(t, wantHash, gotHash)
	r.st.mu.RLock()
	d := r.st.canisters[string(dst)]
	s := r.st.canisters[string(src)]
	require.Equal(t, s.exec.globals, d.exec.globals)
	require.Equal(t, s.exec.chunkOrder, d.exec.chunkOrder)
	require.True(t, s.exec.wasm.equal(d.exec.wasm))
	require.Equal(t, &timer{Active: true, At: 123}, d.exec.timer)
	r.st.mu.RUnlock()

	// Loading another canister's snapshot needs control of both.
	mustMgmt(t, r, alice, "load_canister_snapshot", snapshotArg{cid(dst), snap.ID})
	require.Equal(t, want, digestOf(t, r, dst))
}
