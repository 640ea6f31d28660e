package replica

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/stretchr/testify/require"
)

var (
	alice = []byte{0xA1, 0x01}
	bob   = []byte{0xB0, 0x02}
)

type canisterIDArg struct {
	CanisterID principal.Principal `ic:"canister_id"`
}

type snapshotArg struct {
	CanisterID principal.Principal `ic:"canister_id"`
	SnapshotID []byte              `ic:"snapshot_id"`
}

type takeArg struct {
	CanisterID      principal.Principal `ic:"canister_id"`
	ReplaceSnapshot *[]byte             `ic:"replace_snapshot"`
	UninstallCode   *bool               `ic:"uninstall_code"`
}

type snapshotRec struct {
	ID               []byte `ic:"id"`
	TakenAtTimestamp uint64 `ic:"taken_at_timestamp"`
	TotalSize        uint64 `ic:"total_size"`
}

func fixedClock() time.Time { return time.Unix(1_800_000_000, 0) }

func newTestReplica(t *testing.T) *Replica {
	t.Helper()
	r, err := New(Config{Clock: fixedClock})
	require.NoError(t, err)
	return r
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	if v == nil {
		return emptyReply
	}
	b, err := idl.Marshal([]any{v})
	require.NoError(t, err)
	return b
}

// mgmt calls the management canister as an update.
func mgmt(t *testing.T, r *Replica, sender []byte, method string, arg any) ([]byte, error) {
	t.Helper()
	return r.Execute(context.Background(), Call{Sender: sender, Method: method, Arg: marshal(t, arg), Kind: Update})
}

func mustMgmt(t *testing.T, r *Replica, sender []byte, method string, arg any) []byte {
	t.Helper()
	out, err := mgmt(t, r, sender, method, arg)
	require.NoError(t, err, method)
	return out
}

func requireReject(t *testing.T, err error, code uint64, errorCode, contains string) {
	t.Helper()
	var rj *Reject
	require.True(t, errors.As(err, &rj), "want *Reject, got %v", err)
	require.Equal(t, code, rj.Code, rj.Message)
	require.Equal(t, errorCode, rj.ErrorCode, rj.Message)
	require.Contains(t, rj.Message, contains)
}

func cid(b []byte) principal.Principal { return principal.Principal{Raw: b} }

// installed creates a canister controlled by alice and installs a module.
func installed(t *testing.T, r *Replica) []byte {
	t.Helper()
	out := mustMgmt(t, r, alice, "provisional_create_canister_with_cycles", struct {
		Amount *idl.Nat `ic:"amount"`
	}{})
	var res struct {
		CanisterID principal.Principal `ic:"canister_id"`
	}
	require.NoError(t, idl.Unmarshal(out, []any{&res}))
	mustMgmt(t, r, alice, "install_code", struct {
		Mode       idl.Variant         `ic:"mode"`
		CanisterID principal.Principal `ic:"canister_id"`
		WasmModule []byte              `ic:"wasm_module"`
		Arg        []byte              `ic:"arg"`
	}{Mode: idl.Variant{Name: "install", Type: new(idl.NullType)}, CanisterID: res.CanisterID,
		WasmModule: []byte("\x00asm\x01\x00\x00\x00test"), Arg: []byte{}})
	return res.CanisterID.Raw
}

func take(t *testing.T, r *Replica, c []byte) snapshotRec {
	t.Helper()
	out := mustMgmt(t, r, alice, "take_canister_snapshot", takeArg{CanisterID: cid(c)})
	var s snapshotRec
	require.NoError(t, idl.Unmarshal(out, []any{&s}))
	return s
}

func digestOf(t *testing.T, r *Replica, c []byte) string {
	t.Helper()
	out, err := r.Execute(context.Background(), Call{Sender: bob, Canister: c, Method: "sim_digest", Arg: emptyReply, Kind: Query})
	require.NoError(t, err)
	var s string
	require.NoError(t, idl.Unmarshal(out, []any{&s}))
	return s
}

func mutate(t *testing.T, r *Replica, c []byte, n uint64) error {
	t.Helper()
	_, err := r.Execute(context.Background(), Call{Sender: bob, Canister: c, Method: "sim_mutate", Arg: marshal(t, n), Kind: Update})
	return err
}

// field reads a generically decoded record field by name.
func field(t *testing.T, v any, name string) any {
	t.Helper()
	m, ok := v.(map[string]any)
	require.True(t, ok, "not a record: %T", v)
	x, ok := m[idl.HashString(name)]
	require.True(t, ok, "record lacks field %q", name)
	return x
}

func decode1(t *testing.T, b []byte) any {
	t.Helper()
	// decodeCandid yields agent-go's value shapes, but fast for blobs;
	// TestDecoderMatchesAgentGo checks the two agree.
	vals, err := decodeCandid(b)
	require.NoError(t, err)
	require.Len(t, vals, 1)
	return vals[0]
}
