package agent_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/driver/agent"
	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
)

// fileSums maps every file under dir ('/'-separated) to its size and
// SHA-256, read from disk.
func fileSums(t *testing.T, dir string) []pluginapi.FileDigest {
	t.Helper()
	var out []pluginapi.FileDigest
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		s := sha256.Sum256(b)
		out = append(out, pluginapi.FileDigest{Path: filepath.ToSlash(rel), Size: uint64(len(b)), SHA256: hex.EncodeToString(s[:])})
		return nil
	}))
	return out
}

// TestDownloadReportsDigestsComputedWhileWriting: a download's result lists
// every file it wrote with the SHA-256 of what is on disk, chunks arriving
// out of order (width 8) included, and so does a download resumed after a
// cancellation (kept chunks are read back in order).
func TestDownloadReportsDigestsComputedWhileWriting(t *testing.T) {
	s := simtest.Start(t, sim.Options{Fleet: sim.Fleet{Name: "h", Size: 24 << 20, Seed: 5}})
	set := simSettings(s)
	set.ChunkConcurrency = 8
	e, err := newWith(t, set)
	require.NoError(t, err)
	ctx := ctxT(t)
	tg := target(s.RootCanister())
	require.NoError(t, e.StopCanister(ctx, tg))
	snap, err := e.CreateSnapshot(ctx, tg)
	require.NoError(t, err)

	full := t.TempDir()
	res, err := e.DownloadSnapshot(ctx, tg, snap.ID, full, nil)
	require.NoError(t, err)
	require.NotEmpty(t, res.Files)
	assert.Equal(t, fileSums(t, full), res.Files)

	part := t.TempDir()
	cctx, cancel := context.WithCancel(ctx)
	_, err = e.DownloadSnapshot(cctx, tg, snap.ID, part, func(p pluginapi.Progress) {
		if p.BytesDone > p.BytesTotal/2 {
			cancel()
		}
	})
	cancel()
	require.ErrorIs(t, err, context.Canceled)
	res, err = e.DownloadSnapshot(ctx, tg, snap.ID, part, nil)
	require.NoError(t, err)
	require.Positive(t, res.ResumedBytes)
	assert.Equal(t, fileSums(t, part), res.Files)
}

// TestOneLimiterCapsConcurrentDownloads: four downloads at once through one
// executor (as the plugin process serves them) never have more data-chunk
// calls in flight than the executor-wide cap, however wide each transfer.
func TestOneLimiterCapsConcurrentDownloads(t *testing.T) {
	s := simtest.Start(t, sim.Options{Fleet: sim.Fleet{Name: "l", Children: 3, Depth: 1, Size: 8 << 20, Seed: 9}})
	set := simSettings(s)
	set.ChunkConcurrency = 8
	lim := agent.NewLimiter(3)
	nctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := agent.New(nctx, set, hclog.NewNullLogger(), agent.WithLimiter(lim))
	require.NoError(t, err)
	ctx := ctxT(t)
	var wg sync.WaitGroup
	errs := make(chan error, len(s.Canisters()))
	for _, c := range s.Canisters() {
		tg := target(c)
		require.NoError(t, e.StopCanister(ctx, tg))
		snap, err := e.CreateSnapshot(ctx, tg)
		require.NoError(t, err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.DownloadSnapshot(ctx, tg, snap.ID, t.TempDir(), nil)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 3, lim.Peak(), "the cap is reached and never exceeded")
}
