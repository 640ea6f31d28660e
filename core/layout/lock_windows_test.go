//go:build windows

package layout_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/layout"
)

// On Windows byte-range locks are mandatory; the lock sits past the end of
// the file so a contender can still read who holds it.
func TestWindowsHeldLockRecordIsReadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "backup-execution-journal.json.lock")
	l, err := layout.Acquire(context.Background(), path, "backup execution journal", layout.LockOptions{Command: "holder"})
	require.NoError(t, err)
	data, err := os.ReadFile(path)
	require.NoError(t, err, "the record is readable while the lock is held")
	assert.Contains(t, string(data), `"command": "holder"`)

	_, err = layout.Acquire(context.Background(), path, "backup execution journal", layout.LockOptions{})
	var le *layout.LockedError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, os.Getpid(), le.Holder.PID)

	require.NoError(t, l.Release())
	assert.NoFileExists(t, path, "Release removes the file while holding the lock (shared for delete)")
	l2, err := layout.Acquire(context.Background(), path, "backup execution journal", layout.LockOptions{})
	require.NoError(t, err)
	assert.Nil(t, l2.Stale())
	require.NoError(t, l2.Release())
}

// Publish never replaces, for files and directories alike
// (MoveFileEx without MOVEFILE_REPLACE_EXISTING).
func TestWindowsPublishRefusesAnExistingTarget(t *testing.T) {
	dir := t.TempDir()
	staged, final := filepath.Join(dir, "staged"), filepath.Join(dir, "final")
	require.NoError(t, os.WriteFile(staged, []byte("new"), 0o600))
	require.NoError(t, os.WriteFile(final, []byte("old"), 0o600))
	require.ErrorIs(t, layout.Publish(staged, final), layout.ErrExists)
	got, err := os.ReadFile(final)
	require.NoError(t, err)
	assert.Equal(t, "old", string(got))
	assert.FileExists(t, staged)

	sdir, fdir := filepath.Join(dir, "sdir"), filepath.Join(dir, "fdir")
	require.NoError(t, os.Mkdir(sdir, 0o700))
	require.NoError(t, layout.Publish(sdir, fdir))
	assert.DirExists(t, fdir)
	require.NoError(t, os.Mkdir(sdir, 0o700))
	require.ErrorIs(t, layout.Publish(sdir, fdir), layout.ErrExists)
}
