package agent_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/driver/agent"
	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
)

// entry is what a directory listing says about one path.
type entry struct {
	Mode    os.FileMode
	Size    int64
	ModTime int64
	Data    string
}

// listing maps every path under dir (directories included) to its mode,
// size, modification time and contents.
func listing(t *testing.T, dir string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		e := entry{Mode: info.Mode(), ModTime: info.ModTime().UnixNano()}
		if !d.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			e.Size, e.Data = info.Size(), string(b)
		}
		out[rel] = e
		return nil
	}))
	return out
}

func jsonFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	return m
}

// TestUploadLeavesSourceUntouchedAndResumes uploads a downloaded snapshot
// directory, cancelling the first attempt half-way: the resume record is
// kept in the upload state directory, never in the source; the second
// attempt sends exactly the chunks the record does not list (simulator
// counters) into the same snapshot; the source directory is identical
// (paths, modes, times, bytes) after the failed and the successful upload,
// and the record is gone on success.
func TestUploadLeavesSourceUntouchedAndResumes(t *testing.T) {
	s := simtest.Start(t, sim.Options{Fleet: sim.Fleet{Name: "u", Size: 16 << 20, Seed: 5}})
	set := simSettings(s)
	set.ChunkConcurrency = 2
	state := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, err := agent.New(ctx, set, hclog.NewNullLogger(), agent.WithUploadStateDir(state))
	require.NoError(t, err)
	tg := target(s.RootCanister())
	require.NoError(t, e.StopCanister(ctx, tg))
	snap, err := e.CreateSnapshot(ctx, tg)
	require.NoError(t, err)
	src := t.TempDir()
	_, err = e.DownloadSnapshot(ctx, tg, snap.ID, src, nil)
	require.NoError(t, err)
	before := listing(t, src)

	sends := func() uint64 { return s.Counters().Calls["upload_canister_snapshot_data"] }
	creates := func() uint64 { return s.Counters().Calls["upload_canister_snapshot_metadata"] }
	// An uninterrupted upload counts the chunks.
	whole, err := e.UploadSnapshot(ctx, tg, src, nil)
	require.NoError(t, err)
	total := sends()
	require.GreaterOrEqual(t, total, uint64(8), "16 MiB of memory is at least 8 chunks")
	require.NoError(t, e.DeleteSnapshot(ctx, tg, whole.SnapshotID))
	assert.Empty(t, jsonFiles(t, state), "a finished upload removes its record")
	assert.Equal(t, before, listing(t, src), "a successful upload leaves the source unchanged")

	cctx, ccancel := context.WithCancel(ctx)
	_, err = e.UploadSnapshot(cctx, tg, src, func(p pluginapi.Progress) {
		if p.BytesDone > p.BytesTotal/2 {
			ccancel()
		}
	})
	ccancel()
	require.ErrorIs(t, err, context.Canceled)
	// A chunk whose request was on the wire at the cancellation may reach
	// the simulator after the call returned: count once that has settled.
	afterFirst, since := sends(), time.Now()
	for time.Since(since) < 300*time.Millisecond {
		time.Sleep(20 * time.Millisecond)
		if n := sends(); n != afterFirst {
			afterFirst, since = n, time.Now()
		}
	}
	assert.Equal(t, before, listing(t, src), "a failed upload leaves the source unchanged: no record, no lock")
	recs := jsonFiles(t, state)
	require.Len(t, recs, 1, "the interrupted upload left one resume record in the state directory")
	var rec struct {
		SnapshotID string              `json:"snapshot_id"`
		Done       map[string][]uint64 `json:"done"`
	}
	b, err := os.ReadFile(recs[0])
	require.NoError(t, err)
	require.NoError(t, wire.Unmarshal(b, &rec))
	recorded := uint64(0)
	for _, v := range rec.Done {
		recorded += uint64(len(v))
	}
	require.Positive(t, recorded)
	require.Less(t, recorded, total)

	res, err := e.UploadSnapshot(ctx, tg, src, nil)
	require.NoError(t, err)
	assert.Equal(t, rec.SnapshotID, res.SnapshotID, "the resumed upload continues into the same snapshot")
	assert.Positive(t, res.ResumedBytes)
	assert.Equal(t, total-recorded, sends()-afterFirst, "the resumed upload sends only the chunks not recorded")
	assert.Equal(t, uint64(2), creates(), "one snapshot per upload, none for the resumption")
	assert.Empty(t, jsonFiles(t, state), "a finished upload removes its record")
	assert.Equal(t, before, listing(t, src), "the source is unchanged after the resumed upload")

	// The uploaded snapshot holds the source's data.
	require.NoError(t, e.LoadSnapshot(ctx, tg, res.SnapshotID))
	back := t.TempDir()
	_, err = e.DownloadSnapshot(ctx, tg, res.SnapshotID, back, nil)
	require.NoError(t, err)
	for _, f := range []string{"wasm_module.bin", "wasm_memory.bin", "stable_memory.bin"} {
		assert.Equal(t, before[f].Data, listing(t, back)[f].Data, f)
	}
}

// TestUploadRecordFollowsTheSource starts a fresh upload when the source
// files changed since the interrupted one (their sizes or times are part
// of the record's name).
func TestUploadRecordFollowsTheSource(t *testing.T) {
	s := simtest.Start(t, sim.Options{Fleet: sim.Fleet{Name: "v", Size: 4 << 20, Seed: 6}})
	state := t.TempDir()
	ctx := ctxT(t)
	e, err := agent.New(ctx, simSettings(s), hclog.NewNullLogger(), agent.WithUploadStateDir(state))
	require.NoError(t, err)
	tg := target(s.RootCanister())
	require.NoError(t, e.StopCanister(ctx, tg))
	snap, err := e.CreateSnapshot(ctx, tg)
	require.NoError(t, err)
	src := t.TempDir()
	_, err = e.DownloadSnapshot(ctx, tg, snap.ID, src, nil)
	require.NoError(t, err)

	cctx, cancel := context.WithCancel(ctx)
	_, err = e.UploadSnapshot(cctx, tg, src, func(p pluginapi.Progress) {
		if p.BytesDone > 0 {
			cancel()
		}
	})
	cancel()
	require.ErrorIs(t, err, context.Canceled)
	require.Len(t, jsonFiles(t, state), 1)

	later := time.Now().Add(time.Hour)
	require.NoError(t, os.Chtimes(filepath.Join(src, "wasm_memory.bin"), later, later))
	res, err := e.UploadSnapshot(ctx, tg, src, nil)
	require.NoError(t, err)
	assert.Zero(t, res.ResumedBytes, "a changed source is uploaded afresh")
	assert.Len(t, jsonFiles(t, state), 1, "only the stale record of the old source is left")
}

// TestUploadAdoptsTheSnapshotOfAKilledUpload: a process killed after
// upload_canister_snapshot_metadata created the snapshot but before the
// record named it leaves only the intent record (no snapshot id, the
// snapshots before); the next upload adopts the one new snapshot instead of
// creating a second (found by the crash harness, crashtest:
// plugin/layout.before-rename during restore).
func TestUploadAdoptsTheSnapshotOfAKilledUpload(t *testing.T) {
	s := simtest.Start(t, sim.Options{Fleet: sim.Fleet{Name: "u", Size: 6 << 20, Seed: 5}})
	set := simSettings(s)
	set.ChunkConcurrency = 1
	state := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, err := agent.New(ctx, set, hclog.NewNullLogger(), agent.WithUploadStateDir(state))
	require.NoError(t, err)
	tg := target(s.RootCanister())
	require.NoError(t, e.StopCanister(ctx, tg))
	snap, err := e.CreateSnapshot(ctx, tg)
	require.NoError(t, err)
	src := t.TempDir()
	_, err = e.DownloadSnapshot(ctx, tg, snap.ID, src, nil)
	require.NoError(t, err)

	cctx, ccancel := context.WithCancel(ctx)
	_, err = e.UploadSnapshot(cctx, tg, src, func(p pluginapi.Progress) { ccancel() })
	ccancel()
	require.ErrorIs(t, err, context.Canceled)
	recs := jsonFiles(t, state)
	require.Len(t, recs, 1)
	var rec map[string]any
	b, err := os.ReadFile(recs[0])
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &rec))
	created := rec["snapshot_id"].(string)
	require.NotEmpty(t, created)
	// Rewind the record to the intent written before the metadata call.
	rec["snapshot_id"], rec["done"], rec["chunk_store"] = "", map[string]any{}, []any{}
	rec["before"] = []any{snap.ID}
	b, err = json.Marshal(rec)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(recs[0], b, 0o644))

	creates := s.Counters().Calls["upload_canister_snapshot_metadata"]
	res, err := e.UploadSnapshot(ctx, tg, src, nil)
	require.NoError(t, err)
	assert.Equal(t, created, res.SnapshotID, "the upload continues into the snapshot the killed one created")
	assert.Equal(t, creates, s.Counters().Calls["upload_canister_snapshot_metadata"], "no second snapshot")
	assert.Empty(t, jsonFiles(t, state))
}
