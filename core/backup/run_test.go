package backup

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/registry"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/store/dirstore"
)

// testTarget is a dir store's target for backup name, staged under the
// store's path.
func testTarget(t *testing.T, name string) *Target {
	t.Helper()
	root := t.TempDir()
	s, err := dirstore.Open(root)
	require.NoError(t, err)
	return &Target{Store: s, StoreName: "local", Name: name, Staging: filepath.Join(root, name)}
}

// TestResumeHoldsTheFleetLeaseWhileItRuns: the run's Start and Finish are
// called with the fleet lease held (a second holder is refused, naming
// the holder), and the lease is released when Resume returns.
func TestResumeHoldsTheFleetLeaseWhileItRuns(t *testing.T) {
	tgt := testTarget(t, "b1")
	require.NoError(t, os.MkdirAll(tgt.Staging, 0o700))
	startErr := errors.New("no executor here")
	var heldErr error
	err := Resume(context.Background(), ResumeOptions{Dir: tgt.Staging, Fleet: "demo", Target: tgt,
		Hold: archive.HoldOptions{Host: "h1", Purpose: archive.LeasePurpose("resume", "b1"), TTL: time.Minute},
		Start: func(ctx context.Context) (ExecOptions, func(), error) {
			_, _, heldErr = archive.HoldFleet(ctx, tgt.Store, "demo", archive.HoldOptions{Host: "h2", Purpose: "other"})
			return ExecOptions{}, nil, startErr
		}})
	require.ErrorIs(t, err, startErr)
	require.ErrorIs(t, heldErr, store.ErrLocked, "the lease is held while the run starts")
	assert.Contains(t, heldErr.Error(), "backup resume b1")

	// Released on return: the next holder gets it without a takeover.
	var log bytes.Buffer
	l, _, err := archive.HoldFleet(context.Background(), tgt.Store, "demo", archive.HoldOptions{Host: "h2", Log: &log})
	require.NoError(t, err)
	require.NoError(t, l.Release(context.Background()))
	assert.Empty(t, log.String(), "a released lease is not taken over")
}

// TestResumeOfAPublishedRunOnlyPublishes: a remote run whose manifest is
// already in its staging directory is published, never started.
func TestResumeOfAPublishedRunOnlyPublishes(t *testing.T) {
	tgt := testTarget(t, "b2")
	tgt.Remote, tgt.Staging = true, filepath.Join(t.TempDir(), "b2")
	require.NoError(t, os.MkdirAll(tgt.Staging, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(tgt.Staging, "fleet-backup-manifest.json"), []byte("{}"), 0o600))
	var published bool
	err := Resume(context.Background(), ResumeOptions{Dir: tgt.Staging, Fleet: "demo", Target: tgt, RetryHint: "retry-me",
		Published: func(rep *archive.PublishReport, err error) error { published = true; return err },
		Start: func(context.Context) (ExecOptions, func(), error) {
			t.Fatal("a complete run must not start an executor")
			return ExecOptions{}, nil, nil
		}})
	require.NoError(t, err)
	assert.True(t, published)
	_, err = tgt.Store.Stat(context.Background(), "b2/fleet-backup-manifest.json")
	require.NoError(t, err, "the manifest is in the store")
	_, err = os.Stat(tgt.Staging)
	assert.ErrorIs(t, err, os.ErrNotExist, "the staging directory is removed after the publish")
}

// TestPlanPruneKeepsWhatIsStillNeeded: incomplete backups, the newest N
// complete ones, the newest that verifies and one a restore reads stay;
// a stale incomplete backup goes unless a live lease names it.
func TestPlanPruneKeepsWhatIsStillNeeded(t *testing.T) {
	now := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	old := now.Add(-48 * time.Hour)
	entries := []Entry{
		{Dir: "a", Complete: true, Name: "a"},
		{Dir: "inc", Name: "inc"},
		{Dir: "b", Complete: true, Name: "b"},
		{Dir: "c", Complete: true, Name: "c"},
		{Dir: "d", Complete: true, Name: "d"},
		{Dir: "e", Complete: true, Name: "e"},
		{Dir: "stale", Name: "stale", Modified: old},
		{Dir: "live", Name: "live", Modified: old},
	}
	tgt := PruneTarget{Where: "root",
		Scan:      func(context.Context) ([]Entry, error) { return entries, nil },
		Verified:  func(_ context.Context, b Entry) (bool, error) { return b.Name == "c", nil },
		Restoring: func(b Entry) (string, error) { return map[string]string{"d": KeepRestoring + " (r1)"}[b.Name], nil },
		Stale:     24 * time.Hour, Now: now, Live: map[string]bool{"live": true},
	}
	r, err := PlanPrune(context.Background(), tgt, 1)
	require.NoError(t, err)
	reasons := map[string]string{}
	for _, k := range r.Kept {
		reasons[k.Dir] = k.Reason
	}
	var deleted []string
	for _, d := range r.Deleted {
		deleted = append(deleted, d.Dir)
	}
	assert.Equal(t, []string{"b", "e", "stale"}, deleted)
	assert.Equal(t, KeepRecent, reasons["a"])
	assert.Equal(t, KeepIncomplete, reasons["inc"])
	assert.Equal(t, KeepVerified, reasons["c"])
	assert.Equal(t, KeepRestoring+" (r1)", reasons["d"])
	assert.Equal(t, KeepIncomplete+"; a live fleet lock is working on it", reasons["live"])
}

// TestDeleteDirRenamesThenRemoves: a pruned directory is gone with no
// trash left; a symlinked entry is refused and its target untouched.
func TestDeleteDirRenamesThenRemoves(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "b")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "x"), 0o700))
	reason, err := DeleteDir(context.Background(), root, dir)
	require.NoError(t, err)
	assert.Empty(t, reason)
	ents, err := os.ReadDir(root)
	require.NoError(t, err)
	assert.Empty(t, ents, "neither the backup nor its trash is left")

	target := t.TempDir()
	link := filepath.Join(root, "l")
	require.NoError(t, os.Symlink(target, link))
	_, err = DeleteDir(context.Background(), root, link)
	require.Error(t, err)
	ents, err = os.ReadDir(target)
	require.NoError(t, err)
	assert.Empty(t, ents, "no .lock was written through the symlink")
}

// TestCreateTakesTheLeaseBeforeDiscoveringExceptForADryRun: the fleet
// lease is held while the fleet is discovered (another holder is
// refused) and released afterwards; a dry run takes no lease.
func TestCreateTakesTheLeaseBeforeDiscoveringExceptForADryRun(t *testing.T) {
	for _, dryRun := range []bool{false, true} {
		tgt := testTarget(t, "b3")
		discoverErr := errors.New("registry unreachable")
		var otherErr error
		closed := false
		err := Create(context.Background(), CreateOptions{Target: tgt,
			Hold:  archive.HoldOptions{Host: "h1", Purpose: archive.LeasePurpose("create", "b3")},
			Input: plan.CreateInput{Fleet: "demo", DryRun: dryRun},
			Start: func(context.Context) (func(), error) { return func() { closed = true }, nil },
			Discover: func(ctx context.Context) ([]registry.Entry, error) {
				l, _, err := archive.HoldFleet(ctx, tgt.Store, "demo", archive.HoldOptions{Host: "h2"})
				otherErr = err
				if err == nil {
					require.NoError(t, l.Release(ctx))
				}
				return nil, discoverErr
			}})
		require.ErrorIs(t, err, discoverErr)
		assert.True(t, closed, "what Start opened is closed")
		if dryRun {
			assert.NoError(t, otherErr, "a dry run takes no lease")
			continue
		}
		require.ErrorIs(t, otherErr, store.ErrLocked, "the lease is held while discovering")
		l, _, err := archive.HoldFleet(context.Background(), tgt.Store, "demo", archive.HoldOptions{Host: "h2"})
		require.NoError(t, err, "released when Create returns")
		require.NoError(t, l.Release(context.Background()))
	}
}
