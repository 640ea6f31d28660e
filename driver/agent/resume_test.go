package agent_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
)

// TestDownloadResumesWithoutRereading cancels a download half-way, then
// resumes it: the second run reads exactly the chunks the first did not
// record (simulator call counters), and the files equal an uninterrupted
// download's.
func TestDownloadResumesWithoutRereading(t *testing.T) {
	s := simtest.Start(t, sim.Options{Fleet: sim.Fleet{Name: "r", Size: 24 << 20, Seed: 3}})
	set := simSettings(s)
	set.ChunkConcurrency = 2
	e, err := newWith(t, set)
	require.NoError(t, err)
	ctx := ctxT(t)
	tg := target(s.RootCanister())
	require.NoError(t, e.StopCanister(ctx, tg))
	snap, err := e.CreateSnapshot(ctx, tg)
	require.NoError(t, err)

	full := t.TempDir()
	_, err = e.DownloadSnapshot(ctx, tg, snap.ID, full, nil)
	require.NoError(t, err)
	reads := func() uint64 { return s.Counters().Calls["read_canister_snapshot_data"] }
	total := reads()
	require.GreaterOrEqual(t, total, uint64(12), "24 MiB of memory is at least 12 chunks")

	part := t.TempDir()
	cctx, cancel := context.WithCancel(ctx)
	_, err = e.DownloadSnapshot(cctx, tg, snap.ID, part, func(p pluginapi.Progress) {
		if p.BytesDone > p.BytesTotal/2 {
			cancel()
		}
	})
	cancel()
	require.ErrorIs(t, err, context.Canceled)
	// A read whose request was on the wire at the cancellation may reach
	// the simulator after the call returned: count once that has settled
	// (under load it arrived after the count and failed the test).
	afterFirst, since := reads(), time.Now()
	for time.Since(since) < 300*time.Millisecond {
		time.Sleep(20 * time.Millisecond)
		if n := reads(); n != afterFirst {
			afterFirst, since = n, time.Now()
		}
	}

	var rec struct {
		Done map[string][]uint64 `json:"done"`
	}
	b, err := os.ReadFile(filepath.Join(part, ".canic_download_progress.json"))
	require.NoError(t, err, "the interrupted download left its resume record")
	require.NoError(t, wire.Unmarshal(b, &rec))
	recorded := uint64(0)
	for _, v := range rec.Done {
		recorded += uint64(len(v))
	}
	require.Positive(t, recorded)
	require.Less(t, recorded, total)

	res, err := e.DownloadSnapshot(ctx, tg, snap.ID, part, nil)
	require.NoError(t, err)
	assert.Positive(t, res.ResumedBytes)
	assert.Equal(t, total-recorded, reads()-afterFirst, "the resumed download reads only the chunks not recorded")
	assert.Equal(t, tree(t, full), tree(t, part), "a resumed download ends with the same files")

	again, err := e.DownloadSnapshot(ctx, tg, snap.ID, part, nil)
	require.NoError(t, err)
	assert.Equal(t, again.Bytes, again.ResumedBytes, "a finished download is kept as is")
	assert.Equal(t, total-recorded, reads()-afterFirst, "and reads nothing")
}

// TestFaultySubnetNoDuplicateSnapshots snapshots a fleet while the
// simulator loses 20% of responses and fails 10% of calls transiently:
// every snapshot completes and each canister ends with exactly one.
func TestFaultySubnetNoDuplicateSnapshots(t *testing.T) {
	s := simtest.Start(t, sim.Options{Fleet: fleet4()})
	e := newExecutor(t, s)
	ctx := ctxT(t)
	for _, c := range s.Canisters() {
		require.NoError(t, e.StopCanister(ctx, target(c)))
	}
	s.SetFaults(sim.Faults{LostResponseRate: 0.2, TransientRejectRate: 0.1, Seed: 11})
	for _, c := range s.Canisters() {
		tg := target(c)
		snap, err := e.CreateSnapshot(ctx, tg)
		require.NoError(t, err)
		dir := t.TempDir()
		_, err = e.DownloadSnapshot(ctx, tg, snap.ID, dir, nil)
		require.NoError(t, err)
		up, err := e.UploadSnapshot(ctx, tg, dir, nil)
		require.NoError(t, err)
		require.NoError(t, e.LoadSnapshot(ctx, tg, up.SnapshotID))
		require.NoError(t, e.DeleteSnapshot(ctx, tg, up.SnapshotID))
	}
	s.SetFaults(sim.Faults{})
	for _, c := range s.Canisters() {
		list, err := e.ListSnapshots(ctx, target(c))
		require.NoError(t, err)
		assert.Len(t, list, 1, "exactly one snapshot of %s: no duplicate take or upload", c)
	}
	cs := s.Counters()
	assert.Positive(t, cs.LostResponses, "the simulator lost responses")
	assert.Positive(t, cs.TransientRejects, "the simulator rejected calls transiently")
	t.Logf("lost responses %d, transient rejects %d, take calls %d, upload-metadata calls %d",
		cs.LostResponses, cs.TransientRejects, cs.Calls["take_canister_snapshot"], cs.Calls["upload_canister_snapshot_metadata"])
}

// tree maps every file under dir to its contents.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	}))
	return out
}
