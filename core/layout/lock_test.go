package layout_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/timestamp"
)

const helperEnv = "LAYOUT_LOCK_HELPER_PATH"

// TestMain lets the test binary act as a second process that holds a lock:
// it acquires, prints "locked", and waits for stdin to close (or is killed).
func TestMain(m *testing.M) {
	if p := os.Getenv(helperEnv); p != "" {
		l, err := layout.Acquire(context.Background(), p, "backup execution journal", layout.LockOptions{Command: "helper", Clock: timestamp.FixedUnix(1778594400)})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		fmt.Println("locked")
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		_ = l.Release()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type child struct {
	cmd   *exec.Cmd
	stdin interface{ Close() error }
}

func startHolder(t *testing.T, path string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)
	return &child{cmd: cmd, stdin: stdin}
}

func TestLockContentionAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	l := layout.New(t.TempDir())
	c := startHolder(t, l.LockPath())

	_, err := l.AcquireLock(ctx, layout.LockOptions{})
	require.ErrorIs(t, err, layout.ErrLocked)
	var le *layout.LockedError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, c.cmd.Process.Pid, le.Holder.PID)
	host, _ := os.Hostname()
	assert.Equal(t, host, le.Holder.Host)
	assert.Equal(t, "unix:1778594400", le.Holder.StartedAt)
	msg := err.Error()
	assert.Contains(t, msg, "backup execution journal is locked: "+l.LockPath())
	assert.Contains(t, msg, "pid "+strconv.Itoa(c.cmd.Process.Pid))
	assert.Contains(t, msg, "since unix:1778594400")

	// Clean release by the child: the file goes away and we get the lock
	// with no stale report.
	require.NoError(t, c.stdin.Close())
	require.NoError(t, c.cmd.Wait())
	exists, err := layout.Exists(l.LockPath())
	require.NoError(t, err)
	assert.False(t, exists)
	lk, err := l.AcquireLock(ctx, layout.LockOptions{})
	require.NoError(t, err)
	assert.Nil(t, lk.Stale())
	assert.Empty(t, lk.StaleMessage())
	require.NoError(t, lk.Release())
	require.NoError(t, lk.Release(), "release is idempotent")
}

func TestStaleLockOfKilledProcessIsCleared(t *testing.T) {
	l := layout.New(t.TempDir())
	c := startHolder(t, l.LockPath())
	pid := c.cmd.Process.Pid
	require.NoError(t, c.cmd.Process.Kill())
	_ = c.cmd.Wait()

	lk, err := l.AcquireLock(context.Background(), layout.LockOptions{Command: "me"})
	require.NoError(t, err)
	defer lk.Release()
	require.NotNil(t, lk.Stale())
	assert.Equal(t, pid, lk.Stale().PID)
	assert.Contains(t, lk.StaleMessage(), "cleared stale lock")
	assert.Contains(t, lk.StaleMessage(), "pid "+strconv.Itoa(pid))
	data, err := os.ReadFile(l.LockPath())
	require.NoError(t, err)
	assert.Contains(t, string(data), `"pid": `+strconv.Itoa(os.Getpid()))
	assert.Contains(t, string(data), `"command": "me"`)
}

func TestLegacyLockFileIsTakenOver(t *testing.T) {
	l := layout.New(t.TempDir())
	require.NoError(t, os.WriteFile(l.LockPath(), []byte("pid=4242\n"), 0o644))
	lk, err := l.AcquireLock(context.Background(), layout.LockOptions{})
	require.NoError(t, err)
	defer lk.Release()
	require.NotNil(t, lk.Stale())
	assert.Equal(t, 4242, lk.Stale().PID)
}

func TestSecondAcquireInSameProcessRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "restore-apply-journal.json.lock")
	lk, err := layout.Acquire(ctx, path, "restore apply journal", layout.LockOptions{})
	require.NoError(t, err)
	_, err = layout.Acquire(ctx, path, "restore apply journal", layout.LockOptions{})
	require.ErrorIs(t, err, layout.ErrLocked)
	assert.True(t, strings.HasPrefix(err.Error(), "restore apply journal is locked: "+path))
	require.NoError(t, lk.Release())
	lk2, err := layout.Acquire(ctx, path, "restore apply journal", layout.LockOptions{})
	require.NoError(t, err)
	require.NoError(t, lk2.Release())
}

func TestAcquireRefusesSymlinkAndCancelledContext(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.lock")
	require.NoError(t, os.Symlink(filepath.Join(dir, "elsewhere"), path))
	_, err := layout.Acquire(context.Background(), path, "x", layout.LockOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "symlink")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = layout.Acquire(ctx, filepath.Join(dir, "y.lock"), "y", layout.LockOptions{})
	require.ErrorIs(t, err, context.Canceled)
}
