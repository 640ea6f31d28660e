package sim_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/canic-backup/canic-backup/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts := sim.Options{StateDir: dir, Fleet: sim.Fleet{Name: "persist", Children: 1, Depth: 1, Size: 1 << 20, Seed: 3}}

	s1, err := sim.Start(ctx, opts)
	require.NoError(t, err)
	cid := s1.Canisters()[1]
	a1 := agentFor(t, s1)
	require.NoError(t, a1.Call(mgmt, "stop_canister", []any{canisterArgs{cid}}, []any{}))
	var snap snapshot
	require.NoError(t, a1.Call(mgmt, "take_canister_snapshot", []any{takeArgs{CanisterID: cid}}, []any{&snap}))
	info1 := s1.Info()
	require.NoError(t, s1.Close(ctx))

	st, err := os.Stat(filepath.Join(dir, "controller.pem"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	opts.Fleet = sim.Fleet{Name: "ignored", Children: 5}
	s2, err := sim.Start(ctx, opts)
	require.NoError(t, err)
	defer func() { assert.NoError(t, s2.Close(ctx)) }()
	info2 := s2.Info()
	assert.Equal(t, info1.RootKeyHex, info2.RootKeyHex, "certificates stay valid across restarts")
	assert.Equal(t, info1.CanisterIDs, info2.CanisterIDs)
	assert.Equal(t, info1.ControllerPrincipal, info2.ControllerPrincipal)
	status, _ := s2.Replica().Status(cid.Raw)
	assert.Equal(t, "stopped", status)
	var list []snapshot
	require.NoError(t, agentFor(t, s2).Call(mgmt, "list_canister_snapshots", []any{canisterArgs{cid}}, []any{&list}))
	require.Len(t, list, 1)
	assert.Equal(t, snap.ID, list[0].ID)
}

func TestDamagedStateIsNamed(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sim-state.json"), []byte(`{"version":1,"key_seed_hex":"zz","root_canister_id":"aaaaa-aa","canister_ids":[]}`), 0o600))
	_, err := sim.Start(context.Background(), sim.Options{StateDir: dir})
	require.ErrorIs(t, err, sim.ErrBadState)
	assert.Contains(t, err.Error(), "sim-state.json")
	assert.Contains(t, err.Error(), "key_seed_hex")
}
