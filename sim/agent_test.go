package sim_test

import (
	"testing"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAgentGoSnapshotFlow drives take/read-metadata/read-data through
// agent-go v0.4.5 with FetchRootKey: every poll verifies the BLS
// certificate against the fetched root key.
func TestAgentGoSnapshotFlow(t *testing.T) {
	s := simtest.Start(t, sim.Options{})
	a := simtest.Agent(t, s, nil)
	require.Len(t, s.Canisters(), 3)
	child := s.Canisters()[1]
	assert.Equal(t, s.RootKey(), a.GetRootKey())

	require.NoError(t, a.Call(mgmt, "stop_canister", []any{canisterArgs{child}}, []any{}))
	var snap snapshot
	require.NoError(t, a.Call(mgmt, "take_canister_snapshot", []any{takeArgs{CanisterID: child}}, []any{&snap}))
	require.NotEmpty(t, snap.ID)
	assert.Equal(t, child.Raw, snap.ID[8:], "snapshot id = local id ‖ canister id")

	raw, err := rawCall(t, a, s.ControllerIdentity(), child, "read_canister_snapshot_metadata", snapshotArgs{child, snap.ID})
	require.NoError(t, err)
	_, vals, err := idl.Decode(raw)
	require.NoError(t, err)
	meta := vals[0].(map[string]any)
	memSize := meta[idl.HashString("wasm_memory_size")].(uint64)
	require.Positive(t, memSize)

	var got []byte
	for off := uint64(0); off < memSize; off += 2_000_000 {
		n := min(2_000_000, memSize-off)
		var chunk readDataResult
		require.NoError(t, a.Call(mgmt, "read_canister_snapshot_data",
			[]any{readDataArgs{CanisterID: child, SnapshotID: snap.ID, Kind: dataKind{WasmMemory: &rangeArg{off, n}}}},
			[]any{&chunk}))
		require.Len(t, chunk.Chunk, int(n))
		got = append(got, chunk.Chunk...)
	}
	assert.Len(t, got, int(memSize))

	// read_state paths agent-go uses (not verified by agent-go itself)
	ctrls, err := a.GetCanisterControllers(child)
	require.NoError(t, err)
	assert.Equal(t, []principal.Principal{s.ControllerIdentity().Sender()}, ctrls)
	mh, err := a.GetCanisterModuleHash(child)
	require.NoError(t, err)
	want, ok := s.Replica().ModuleHash(child.Raw)
	require.True(t, ok)
	assert.Equal(t, want, mh)

	c := s.Counters()
	assert.Equal(t, uint64(1), c.Calls["take_canister_snapshot"])
	assert.Equal(t, uint64(len(got)+1_999_999)/2_000_000, c.Calls["read_canister_snapshot_data"])
}
