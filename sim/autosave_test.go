package sim_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go/principal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/sim"
)

// copyDir copies a state directory as a crash would leave it: whatever is
// on disk now, the running simulator untouched.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	require.NoError(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	}))
	return dst
}

// stopAndSnapshot stops cid and takes a snapshot of it through the HTTP
// interface, returning the snapshot id.
func stopAndSnapshot(t *testing.T, s *sim.Simulator, cid principal.Principal) []byte {
	t.Helper()
	a := agentFor(t, s)
	require.NoError(t, a.Call(mgmt, "stop_canister", []any{canisterArgs{cid}}, []any{}))
	var snap snapshot
	require.NoError(t, a.Call(mgmt, "take_canister_snapshot", []any{takeArgs{CanisterID: cid}}, []any{&snap}))
	return snap.ID
}

// requireRecovered starts a simulator on a copied state directory and
// checks that cid is stopped and has exactly the snapshot id.
func requireRecovered(t *testing.T, dir string, cid principal.Principal, id []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := sim.Start(ctx, sim.Options{StateDir: dir})
	require.NoError(t, err)
	defer func() { assert.NoError(t, s.Close(ctx)) }()
	status, ok := s.Replica().Status(cid.Raw)
	require.True(t, ok)
	assert.Equal(t, "stopped", status, "the stop survived the crash")
	var list []snapshot
	require.NoError(t, agentFor(t, s).Call(mgmt, "list_canister_snapshots", []any{canisterArgs{cid}}, []any{&list}))
	require.Len(t, list, 1, "the snapshot survived the crash")
	assert.Equal(t, id, list[0].ID)
}

// TestSyncSaveSurvivesKill: with SyncSave a call's reply means its change
// is on disk, so a copy of the state directory taken right after the
// replies (as a SIGKILL would leave it, Close never called) restarts with
// the canister stopped and its snapshot present.
func TestSyncSaveSurvivesKill(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := sim.Start(ctx, sim.Options{StateDir: dir, SyncSave: true,
		Fleet: sim.Fleet{Name: "crash", Children: 1, Depth: 1, Size: 1 << 20, Seed: 5}})
	require.NoError(t, err)
	cid := s.Canisters()[1]
	saves := s.Counters().Saves
	id := stopAndSnapshot(t, s, cid)
	assert.Equal(t, saves+2, s.Counters().Saves, "one save per state-changing call")
	crashed := copyDir(t, dir)

	var list []snapshot
	require.NoError(t, agentFor(t, s).Call(mgmt, "list_canister_snapshots", []any{canisterArgs{cid}}, []any{&list}))
	assert.Equal(t, saves+2, s.Counters().Saves, "a read-only call does not save")
	requireRecovered(t, crashed, cid, id)
	require.NoError(t, s.Close(ctx))
}

// TestAutosaveSurvivesKill: with AutosaveInterval the state reaches the
// disk shortly after the calls without Close; a copy taken then restarts
// with the canister stopped and its snapshot present. Many changes in a
// burst are saved far fewer times than there were calls.
func TestAutosaveSurvivesKill(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	interval := 100 * time.Millisecond
	s, err := sim.Start(ctx, sim.Options{StateDir: dir, AutosaveInterval: interval,
		Fleet: sim.Fleet{Name: "crash", Children: 1, Depth: 1, Size: 1 << 20, Seed: 5}})
	require.NoError(t, err)
	root, cid := s.Canisters()[0], s.Canisters()[1]
	a := agentFor(t, s)
	saves := s.Counters().Saves
	for i := 0; i < 20; i++ {
		require.NoError(t, a.Call(root, "sim_mutate", []any{uint64(i)}, []any{}))
	}
	id := stopAndSnapshot(t, s, cid)

	// Wait until the saves settle: a second without a new one (a save pauses
	// for the interval or four times its duration, whichever is longer).
	deadline := time.Now().Add(10 * time.Second)
	last, since := s.Counters().Saves, time.Now()
	for time.Since(since) < time.Second {
		require.True(t, time.Now().Before(deadline), "autosave never settled")
		time.Sleep(interval / 4)
		if n := s.Counters().Saves; n != last {
			last, since = n, time.Now()
		}
	}
	n := last - saves
	assert.GreaterOrEqual(t, n, uint64(1), "the changes were saved without Close")
	assert.Less(t, n, uint64(22), "22 changing calls were coalesced into fewer saves")
	assert.Zero(t, s.Counters().SaveErrors)
	t.Logf("22 state-changing calls, %d autosaves", n)
	requireRecovered(t, copyDir(t, dir), cid, id)
	require.NoError(t, s.Close(ctx))
}

// TestAutosaveOffWithoutStateDir: autosave needs a state directory.
func TestAutosaveOffWithoutStateDir(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := sim.Start(ctx, sim.Options{AutosaveInterval: time.Millisecond, SyncSave: true,
		Fleet: sim.Fleet{Name: "mem", Size: 64 << 10, Seed: 1}})
	require.NoError(t, err)
	stopAndSnapshot(t, s, s.RootCanister())
	time.Sleep(20 * time.Millisecond)
	assert.Zero(t, s.Counters().Saves)
	require.NoError(t, s.Close(ctx))
}
