package replica

import (
	"context"
	"math/big"
	"testing"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/canic-backup/canic-backup/internal/cyclecost"
	"github.com/stretchr/testify/require"
)

func uploadMetaArg(t *testing.T, c []byte, wasmSize uint64) []byte {
	t.Helper()
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
		"canister_id": cid(c), "replace_snapshot": nil, "wasm_module_size": uint64(100),
		"globals": []any{}, "wasm_memory_size": wasmSize, "stable_memory_size": uint64(0),
		"certified_data": []byte{}, "global_timer": nil,
	}})
	require.NoError(t, err)
	return meta
}

// TestUploadedSnapshotRaisesTheFreezingThreshold: the declared size of an
// uploaded snapshot counts as memory, so a canister that cannot keep its
// freezing threshold with it is refused with IC0207 and nothing is created.
func TestUploadedSnapshotRaisesTheFreezingThreshold(t *testing.T) {
	r := newTestReplica(t)
	c := installed(t, r)
	r.st.mu.RLock()
	mem := r.st.canisters[string(c)].memory()
	r.st.mu.RUnlock()
	bal := new(big.Int).Add(freezingThreshold(mem), big.NewInt(100_000_000))
	require.NoError(t, r.SetCycles(c, bal))

	_, err := r.Execute(context.Background(), Call{Sender: alice, Method: "upload_canister_snapshot_metadata", Arg: uploadMetaArg(t, c, 1<<30)})
	requireReject(t, err, 2, ErrCanisterOutOfCycles, "is out of cycles")
	got, _ := r.Cycles(c)
	require.Equal(t, bal, got, "nothing charged")
	r.st.mu.RLock()
	require.Empty(t, r.st.canisters[string(c)].snapshots)
	r.st.mu.RUnlock()

	need := new(big.Int).Add(freezingThreshold(mem+(1<<30)+100), cyclecost.Execution(0))
	require.NoError(t, r.SetCycles(c, need))
	_, err = r.Execute(context.Background(), Call{Sender: alice, Method: "upload_canister_snapshot_metadata", Arg: uploadMetaArg(t, c, 1<<30)})
	require.NoError(t, err)
	got, _ = r.Cycles(c)
	require.Equal(t, freezingThreshold(mem+(1<<30)+100), got, "exactly the execution fee was taken")
}

func TestFreeCyclesChargesNothing(t *testing.T) {
	r, err := New(Config{Clock: fixedClock, Mainnet: Mainnet{FreeCycles: true}})
	require.NoError(t, err)
	c := installed(t, r)
	require.NoError(t, r.SetCycles(c, big.NewInt(0)))
	take(t, r, c)
	got, _ := r.Cycles(c)
	require.Zero(t, got.Sign())
}
