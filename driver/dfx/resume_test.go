package dfx_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/driver/dfx/dfxtest"
	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/sim/simtest"
)

// TestICPExecutorCancelAndResumeDownload cancels a real icp download
// half-way (the simulator delays every update call so it lasts long enough),
// checks the call returns promptly with context.Canceled, then resumes it
// with icp's own --resume and checks that bytes were kept and the files
// equal an uninterrupted download. (pluginapi/plugintest.Run passes every
// subtest but one with this executor; see the package report.)
func TestICPExecutorCancelAndResumeDownload(t *testing.T) {
	opts := fleet()
	opts.Fleet.Size = 9 << 20
	opts.Faults.UpdateLatency = 150 * time.Millisecond
	s := simtest.Start(t, opts)
	e := dfxtest.New(t, dfxtest.Settings(t, s))
	ctx := ctxT(t)
	tg := pluginapi.Target{CanisterID: s.Canisters()[1].String()}
	require.NoError(t, e.StopCanister(ctx, tg))
	snap, err := e.CreateSnapshot(ctx, tg)
	require.NoError(t, err)

	full := filepath.Join(t.TempDir(), "full")
	var events []pluginapi.Progress
	res, err := e.DownloadSnapshot(ctx, tg, snap.ID, full, func(p pluginapi.Progress) { events = append(events, p) })
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(events), 2, "progress is reported while icp runs")
	for i := 1; i < len(events); i++ {
		assert.GreaterOrEqual(t, events[i].BytesDone, events[i-1].BytesDone, "progress never goes back")
	}

	part := filepath.Join(t.TempDir(), "part")
	cctx, cancel := context.WithCancel(ctx)
	var cancelledAt time.Time
	_, err = e.DownloadSnapshot(cctx, tg, snap.ID, part, func(p pluginapi.Progress) {
		if cancelledAt.IsZero() && p.BytesDone > 0 {
			cancelledAt = time.Now()
			cancel()
		}
	})
	cancel()
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(cancelledAt), 3*time.Second, "a cancelled download returns promptly")

	res2, err := e.DownloadSnapshot(ctx, tg, snap.ID, part, nil)
	require.NoError(t, err)
	assert.Positive(t, res2.ResumedBytes, "the resumed download kept bytes")
	assert.Less(t, res2.ResumedBytes, res2.Bytes, "the first download was cut short")
	assert.Equal(t, res.Bytes, res2.Bytes)
	for _, f := range []string{"metadata.json", "wasm_module.bin", "wasm_memory.bin", "stable_memory.bin"} {
		a, err := os.ReadFile(filepath.Join(full, f))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(part, f))
		require.NoError(t, err)
		assert.True(t, string(a) == string(b), "%s of the resumed download equals the uninterrupted one", f)
	}
	t.Logf("download %d bytes, %d progress events; resumed %d bytes", res.Bytes, len(events), res2.ResumedBytes)
}
