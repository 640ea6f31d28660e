package replica

import (
	"context"
	"crypto/sha256"
	"testing"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/stretchr/testify/require"
)

func TestCanisterLifecycle(t *testing.T) {
	r := newTestReplica(t)
	c := installed(t, r)
	require.Equal(t, canisterID(0), c)
	require.Equal(t, "rwlgt-iiaaa-aaaaa-aaaaa-cai", text(c))

	h, ok := r.ModuleHash(c)
	require.True(t, ok)
	want := sha256.Sum256([]byte("\x00asm\x01\x00\x00\x00test"))
	require.Equal(t, want[:], h)
	ctls, ok := r.Controllers(c)
	require.True(t, ok)
	require.Equal(t, [][]byte{alice}, ctls)

	st := decode1(t, mustMgmt(t, r, alice, "canister_status", canisterIDArg{cid(c)}))
	require.Equal(t, idl.HashString("running"), field(t, st, "status").(*idl.Variant).Name)
	require.Equal(t, want[:], mustBlob(t, field(t, st, "module_hash")))
	settings := field(t, st, "settings")
	// icp 1.5.0 requires every one of these (ic-interface.md A.2).
	for _, f := range []string{"freezing_threshold", "wasm_memory_threshold", "environment_variables", "controllers",
		"minimum_incoming_canister_call_cycles", "reserved_cycles_limit", "log_visibility", "log_memory_limit",
		"snapshot_visibility", "wasm_memory_limit", "status_visibility", "memory_allocation", "compute_allocation"} {
		field(t, settings, f)
	}
	metrics := field(t, st, "memory_metrics")
	for _, f := range []string{"wasm_memory_size", "stable_memory_size", "global_memory_size", "wasm_binary_size",
		"custom_sections_size", "canister_history_size", "wasm_chunk_store_size", "snapshots_size", "log_memory_store_size"} {
		field(t, metrics, f)
	}
	for _, f := range []string{"ready_for_migration", "version", "memory_size", "cycles", "reserved_cycles",
		"idle_cycles_burned_per_day", "query_stats"} {
		field(t, st, f)
	}
	// canister_status is also a query.
	_, err := r.Execute(context.Background(), Call{Sender: alice, Method: "canister_status", Arg: marshal(t, canisterIDArg{cid(c)}), Kind: Query})
	require.NoError(t, err)

	mustMgmt(t, r, alice, "stop_canister", canisterIDArg{cid(c)})
	s, _ := r.Status(c)
	require.Equal(t, "stopped", s)
	st = decode1(t, mustMgmt(t, r, alice, "canister_status", canisterIDArg{cid(c)}))
	require.Equal(t, idl.HashString("stopped"), field(t, st, "status").(*idl.Variant).Name)
	requireReject(t, mutate(t, r, c, 1), 5, ErrCanisterStopped, "is stopped")
	mustMgmt(t, r, alice, "start_canister", canisterIDArg{cid(c)})
	require.NoError(t, mutate(t, r, c, 1))

	// update_settings replaces the controllers.
	mustMgmt(t, r, alice, "update_settings", struct {
		CanisterID principal.Principal `ic:"canister_id"`
		Settings   struct {
			Controllers *[]principal.Principal `ic:"controllers"`
		} `ic:"settings"`
	}{CanisterID: cid(c), Settings: struct {
		Controllers *[]principal.Principal `ic:"controllers"`
	}{Controllers: &[]principal.Principal{cid(alice), cid(bob)}}})
	ctls, _ = r.Controllers(c)
	require.Equal(t, [][]byte{alice, bob}, ctls)
}

func mustBlob(t *testing.T, v any) []byte {
	t.Helper()
	b, ok := toBlob(v)
	require.True(t, ok, "%T", v)
	return b
}

func TestManagementRejections(t *testing.T) {
	r := newTestReplica(t)
	c := installed(t, r)

	_, err := mgmt(t, r, bob, "canister_status", canisterIDArg{cid(c)})
	requireReject(t, err, 5, ErrCanisterInvalidController,
		"Only the controllers of the canister rwlgt-iiaaa-aaaaa-aaaaa-cai can control it.\nCanister's controllers: "+text(alice)+"\nSender's ID: "+text(bob))
	for _, m := range []string{"stop_canister", "start_canister", "take_canister_snapshot", "list_canister_snapshots"} {
		_, err = mgmt(t, r, bob, m, canisterIDArg{cid(c)})
		requireReject(t, err, 5, ErrCanisterInvalidController, "Only the controllers")
	}
	_, err = mgmt(t, r, alice, "canister_status", canisterIDArg{cid(canisterID(99))})
	requireReject(t, err, 3, ErrCanisterNotFound, "Canister "+text(canisterID(99))+" not found.")

	_, err = mgmt(t, r, alice, "no_such_method", canisterIDArg{cid(c)})
	requireReject(t, err, 4, ErrUnknownManagementMessage, "no_such_method")
	_, err = mgmt(t, r, alice, "canister_status", struct {
		X uint64 `ic:"x"`
	}{1})
	requireReject(t, err, 4, ErrInvalidManagementPayload, `missing required field "canister_id"`)
	_, err = r.Execute(context.Background(), Call{Sender: alice, Method: "canister_status", Arg: []byte("junk")})
	requireReject(t, err, 4, ErrInvalidManagementPayload, "Error decoding candid")

	// Extra fields a newer client sends are tolerated.
	_, err = mgmt(t, r, alice, "canister_status", struct {
		CanisterID principal.Principal `ic:"canister_id"`
		Future     string              `ic:"future_field"`
	}{cid(c), "x"})
	require.NoError(t, err)

	// An empty canister cannot be snapshotted.
	out := mustMgmt(t, r, alice, "provisional_create_canister_with_cycles", struct {
		Amount *idl.Nat `ic:"amount"`
	}{})
	empty := field(t, decode1(t, out), "canister_id").(principal.Principal).Raw
	_, err = mgmt(t, r, alice, "take_canister_snapshot", takeArg{CanisterID: cid(empty)})
	requireReject(t, err, 4, ErrCanisterRejectedMessage, "Failed to create snapshot for empty canister "+text(empty)+":")
	_, err = r.Execute(context.Background(), Call{Sender: bob, Canister: empty, Method: "sim_digest", Arg: emptyReply, Kind: Query})
	requireReject(t, err, 5, ErrCanisterWasmModuleNotFound, "no Wasm module")

	// Unknown methods and update methods called as queries.
	_, err = r.Execute(context.Background(), Call{Sender: bob, Canister: c, Method: "sim_mutate", Arg: marshal(t, uint64(1)), Kind: Query})
	requireReject(t, err, 5, ErrCanisterMethodNotFound, "has no query method 'sim_mutate'")
	_, err = r.Execute(context.Background(), Call{Sender: bob, Canister: c, Method: "canic_subnet_registry", Arg: emptyReply, Kind: Query})
	requireReject(t, err, 5, ErrCanisterMethodNotFound, "canic_subnet_registry")

	// A cancelled context is not a reject.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = r.Execute(ctx, Call{Sender: alice, Method: "canister_status", Arg: marshal(t, canisterIDArg{cid(c)})})
	require.ErrorIs(t, err, context.Canceled)
}
