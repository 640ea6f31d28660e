package platform_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/internal/platform"
)

func TestTryLockRefusesASecondOpenUntilUnlocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	a, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	require.NoError(t, err)
	defer a.Close()
	b, err := os.OpenFile(path, os.O_RDWR, 0o600)
	require.NoError(t, err)
	defer b.Close()

	require.NoError(t, platform.TryLock(a))
	_, err = a.WriteAt([]byte("holder record"), 0)
	require.NoError(t, err)
	err = platform.TryLock(b)
	require.ErrorIs(t, err, platform.ErrWouldBlock)

	// The holder's record stays readable through the other handle (on
	// Windows the lock is on a byte past the end of the file).
	buf := make([]byte, 13)
	_, err = b.ReadAt(buf, 0)
	require.NoError(t, err)
	assert.Equal(t, "holder record", string(buf))

	require.NoError(t, platform.Unlock(a))
	require.NoError(t, platform.TryLock(b))
	assert.ErrorIs(t, platform.TryLock(a), platform.ErrWouldBlock)
}

func TestClosingTheFileReleasesTheLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	a, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	require.NoError(t, err)
	require.NoError(t, platform.Lock(a))
	require.NoError(t, a.Close())
	b, err := os.OpenFile(path, os.O_RDWR, 0o600)
	require.NoError(t, err)
	defer b.Close()
	assert.NoError(t, platform.TryLock(b))
}

func TestRenameReplacesAndSyncDirAcceptsTheDirectory(t *testing.T) {
	dir := t.TempDir()
	from, to := filepath.Join(dir, "new"), filepath.Join(dir, "doc.json")
	require.NoError(t, os.WriteFile(from, []byte("new"), 0o600))
	require.NoError(t, os.WriteFile(to, []byte("old"), 0o600))
	require.NoError(t, platform.Rename(from, to))
	got, err := os.ReadFile(to)
	require.NoError(t, err)
	assert.Equal(t, "new", string(got))
	assert.NoFileExists(t, from)
	require.NoError(t, platform.SyncDir(dir))
	assert.ErrorIs(t, platform.SyncDir(filepath.Join(dir, "missing")), os.ErrNotExist)
}

func TestProcessAlive(t *testing.T) {
	assert.True(t, platform.ProcessAlive(os.Getpid()))
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "-test.run=^$")
	require.NoError(t, cmd.Run())
	assert.False(t, platform.ProcessAlive(cmd.Process.Pid), "an exited and reaped child")
}

func TestExecutable(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	fi, err := os.Stat(exe)
	require.NoError(t, err)
	assert.True(t, platform.Executable(fi), "the test binary itself")
	doc := filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(doc, nil, 0o644))
	fi, err = os.Stat(doc)
	require.NoError(t, err)
	assert.False(t, platform.Executable(fi))
	fi, err = os.Stat(t.TempDir())
	require.NoError(t, err)
	assert.False(t, platform.Executable(fi), "a directory")
	if runtime.GOOS != "windows" {
		require.NoError(t, os.Chmod(doc, 0o755))
		fi, err = os.Stat(doc)
		require.NoError(t, err)
		assert.True(t, platform.Executable(fi), "an execute bit")
	}
}

func TestBindToHostReleaseIsSafeTwice(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "-test.run=^$")
	require.NoError(t, cmd.Start())
	release, err := platform.BindToHost(cmd.Process.Pid)
	require.NoError(t, err)
	require.NoError(t, cmd.Wait())
	release()
	release()
}
