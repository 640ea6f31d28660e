package flock

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/internal/platform"
)

// TestWaitHoldsTheKernelLock: while Wait's lock is held another open file
// description cannot take it; after unlock it can, and the file stays.
func TestWaitHoldsTheKernelLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".lock")
	unlock, err := Wait(path)
	require.NoError(t, err)
	other, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer other.Close()
	require.ErrorIs(t, platform.TryLock(other), platform.ErrWouldBlock)
	unlock()
	require.NoError(t, platform.TryLock(other))
	assert.FileExists(t, path, "Wait never removes its file")
}

// TestAcquireRecordsAndReleases: Acquire writes the holder's record, a
// second Acquire is refused naming it, and Release removes the file.
func TestAcquireRecordsAndReleases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.lock")
	l, err := Acquire(context.Background(), path, "backup execution journal", Options{Command: "holder"})
	require.NoError(t, err)
	assert.Nil(t, l.Stale())
	_, err = Acquire(context.Background(), path, "backup execution journal", Options{})
	var le *LockedError
	require.ErrorAs(t, err, &le)
	require.ErrorIs(t, err, ErrLocked)
	assert.Equal(t, "holder", le.Holder.Command)
	assert.Equal(t, os.Getpid(), le.Holder.PID)
	require.NoError(t, l.Release())
	require.NoError(t, l.Release(), "Release is idempotent")
	assert.NoFileExists(t, path)
}
