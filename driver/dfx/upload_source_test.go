package dfx_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/driver/dfx"
	"github.com/canic-backup/canic-backup/driver/dfx/dfxtest"
	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
)

// entry is what a listing says about one path.
type entry struct {
	Mode    os.FileMode
	ModTime int64
	Data    string
}

// listing maps every path under dir (directories included) to its mode,
// modification time and contents.
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
			e.Data = string(b)
		}
		out[rel] = e
		return nil
	}))
	return out
}

// TestICPUploadLeavesSourceUntouched uploads a snapshot directory with the
// real icp, killing the first attempt after it sent two data chunks: icp
// writes .upload_progress.json and .lock next to what it uploads, so the
// executor gives it a private staging copy (hard links) and the source
// directory stays identical — paths, modes, times and bytes — after the
// failed and the resumed upload; icp resumes into the interrupted
// upload's snapshot from the progress file it left in the staging
// directory, which is gone on success.
func TestICPUploadLeavesSourceUntouched(t *testing.T) {
	s := simtest.Start(t, sim.Options{
		Fleet:  sim.Fleet{Name: "up", Size: 24 << 20, Seed: 8},
		Faults: sim.Faults{UpdateLatency: 20 * time.Millisecond},
	})
	staging := t.TempDir()
	e := dfxtest.New(t, dfxtest.Settings(t, s), dfx.WithUploadStateDir(staging))
	ctx := ctxT(t)
	tg := pluginapi.Target{CanisterID: s.RootCanister().String()}
	require.NoError(t, e.StopCanister(ctx, tg))
	snap, err := e.CreateSnapshot(ctx, tg)
	require.NoError(t, err)
	src := filepath.Join(t.TempDir(), "artifact")
	_, err = e.DownloadSnapshot(ctx, tg, snap.ID, src, nil)
	require.NoError(t, err)
	before := listing(t, src)

	sends := func() uint64 { return s.Counters().Calls["upload_canister_snapshot_data"] }
	whole, err := e.UploadSnapshot(ctx, tg, src, nil)
	require.NoError(t, err)
	total := sends()
	require.GreaterOrEqual(t, total, uint64(12), "24 MiB is at least 12 chunks")
	require.NoError(t, e.DeleteSnapshot(ctx, tg, whole.SnapshotID))
	assert.Equal(t, before, listing(t, src), "a successful upload leaves the source unchanged")
	left, _ := os.ReadDir(staging)
	assert.Empty(t, left, "a successful upload removes its staging directory")

	cctx, cancel := context.WithCancel(ctx)
	go func() {
		for sends() < total+2 && cctx.Err() == nil {
			time.Sleep(2 * time.Millisecond)
		}
		cancel()
	}()
	_, err = e.UploadSnapshot(cctx, tg, src, nil)
	cancel()
	require.ErrorIs(t, err, context.Canceled)
	afterFirst := sends()
	require.Less(t, afterFirst, 2*total, "the first attempt was interrupted")
	assert.Equal(t, before, listing(t, src), "a failed upload leaves the source unchanged")
	left, _ = os.ReadDir(staging)
	require.Len(t, left, 1, "the interrupted upload keeps its staging directory")
	var prog struct {
		SnapshotID string `json:"snapshot_id"`
	}
	b, err := os.ReadFile(filepath.Join(staging, left[0].Name(), ".upload_progress.json"))
	require.NoError(t, err, "icp's progress file is in the staging directory")
	require.NoError(t, json.Unmarshal(b, &prog))

	res, err := e.UploadSnapshot(ctx, tg, src, nil)
	require.NoError(t, err)
	assert.Equal(t, prog.SnapshotID, res.SnapshotID, "icp --resume continued the interrupted upload's snapshot")
	assert.Equal(t, uint64(2), s.Counters().Calls["upload_canister_snapshot_metadata"], "the resumption reuses the interrupted upload's snapshot")
	t.Logf("data chunk calls: whole upload %d, interrupted %d, resumed %d", total, afterFirst-total, sends()-afterFirst)
	assert.Equal(t, before, listing(t, src), "the source is unchanged after the resumed upload")
	left, _ = os.ReadDir(staging)
	assert.Empty(t, left, "a successful upload removes its staging directory")

	require.NoError(t, e.LoadSnapshot(ctx, tg, res.SnapshotID))
	back := t.TempDir()
	_, err = e.DownloadSnapshot(ctx, tg, res.SnapshotID, back, nil)
	require.NoError(t, err)
	got := listing(t, back)
	for _, f := range []string{"wasm_module.bin", "wasm_memory.bin", "stable_memory.bin"} {
		assert.Equal(t, before[f].Data, got[f].Data, f)
	}
}
