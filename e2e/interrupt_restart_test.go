//go:build linux

package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/internal/killpoint"
)

// syncBuffer is a bytes.Buffer the test may read while the process writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// pausedRun is a `backup create` paused right after its stops.
type pausedRun struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	pause          string
}

// pausedCreate starts `backup create` into out, paused right after every
// stop completed (killpoint.RunnerStopsCompleted with a pause file), and
// returns once the pause is reached and every child is stopped.
func pausedCreate(t *testing.T, f *fleet, out string) *pausedRun {
	t.Helper()
	p := &pausedRun{stdout: &syncBuffer{}, stderr: &syncBuffer{}, pause: filepath.Join(t.TempDir(), "paused")}
	p.cmd = exec.Command(canicBin, "backup", "create", "--config", f.cfg, "--env", envAgent, "--out", out)
	p.cmd.Dir = f.dir
	p.cmd.Env = append(os.Environ(), "CANIC_BACKUP_LOG=",
		killpoint.EnvKill+"=main/"+killpoint.RunnerStopsCompleted+":1", killpoint.EnvPause+"="+p.pause)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	require.NoError(t, p.cmd.Start())
	require.Eventually(t, func() bool {
		_, err := os.Stat(p.pause)
		return err == nil
	}, 2*time.Minute, 10*time.Millisecond, "the run reaches the end of its stops\nstderr:\n%s", p.stderr)
	for id, st := range statuses(t, f.s, f.children...) {
		require.Equal(t, "stopped", st, "%s is stopped at the pause", id)
	}
	return p
}

// resume lets the paused run go on and waits (at most 3 minutes) for it.
func (p *pausedRun) resume(t *testing.T) result {
	t.Helper()
	require.NoError(t, os.Remove(p.pause))
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(3 * time.Minute):
		_ = p.cmd.Process.Kill()
		<-done
		t.Fatalf("backup create timed out\nstderr:\n%s", p.stderr)
	}
	r := result{stdout: p.stdout.String(), stderr: p.stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return r
}

// interruptedReason returns the failure reasons the journal of dir records.
func failureReasons(t *testing.T, dir string) []string {
	t.Helper()
	var reasons []string
	for _, op := range readExecutionJournal(t, dir).Operations {
		reasons = append(reasons, op.BlockingReasons...)
	}
	return reasons
}

// TestSignalAfterStopsRestartsEveryCanister: SIGINT, and separately
// SIGTERM, sent to `backup create` right after its stops completed. The
// run stops, starts every canister it stopped (the simulator reports them
// all running), records the interruption and the restarts in the journal,
// exits non-zero without claiming anything is left stopped, and `backup
// resume --retry-failed` completes a backup that verifies.
func TestSignalAfterStopsRestartsEveryCanister(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			f := startFleet(t, 64<<10)
			before := digests(t, f.s, f.children...)
			out := filepath.Join(f.dir, "backup")
			p := pausedCreate(t, f, out)
			require.NoError(t, p.cmd.Process.Signal(sig))
			// The signal is handled while the run is paused; then it goes on.
			require.Eventually(t, func() bool { return strings.Contains(p.stderr.String(), "canic-backup: ") },
				time.Minute, 5*time.Millisecond, "the signal is acknowledged")
			r := p.resume(t)

			require.NotEqual(t, 0, r.code, r.String())
			assert.NotEqual(t, 4, r.code, "nothing is left stopped: %s", r.String())
			assert.Contains(t, r.stderr, "are started again")
			assert.NotContains(t, r.stderr, "left stopped", r.String())
			// The hint moves the backup forward: resume must retry the
			// operation the interruption recorded as failed.
			assert.Contains(t, r.stderr, "backup resume --dir "+out+" --config "+f.cfg+" --env "+envAgent+" --retry-failed`", r.String())
			assert.Equal(t, allRunning(f.children...), statuses(t, f.s, f.children...), "every canister runs again")

			j := readExecutionJournal(t, out)
			assert.Empty(t, runner.LeftStopped(j), "the journal records the restarts")
			reasons := strings.Join(failureReasons(t, out), "\n")
			assert.Contains(t, reasons, runner.InterruptedReasonPrefix)
			for _, id := range f.children {
				assert.Contains(t, reasons, runner.RestartedReasonPrefix+id)
			}

			r = cli(t, f.dir, nil, "backup", "recover", "--dir", out, "--config", f.cfg, "--env", envAgent)
			require.Equal(t, 0, r.code, r.String())
			assert.Contains(t, r.stdout, "nothing to do")

			r = cli(t, f.dir, nil, "backup", "resume", "--dir", out, "--config", f.cfg, "--env", envAgent, "--retry-failed")
			require.Equal(t, 0, r.code, r.String())
			r = cli(t, f.dir, nil, "backup", "verify", "--dir", out)
			require.Equal(t, 0, r.code, r.String())
			assert.Equal(t, before, digests(t, f.s, f.children...))
			assert.Equal(t, allRunning(f.children...), statuses(t, f.s, f.children...))
		})
	}
}

// TestFullDiskDuringStopsRestartsEveryCanister: the backup directory is a
// small tmpfs, filled to the last byte right after the stops completed, so
// the next journal write fails with ENOSPC. The run starts every canister
// it stopped all the same (the simulator reports them running) and says
// the journal could not record it; once there is room, `backup recover`
// reads the canisters' status, records the restarts without starting
// anything, and the backup resumes to completion.
func TestFullDiskDuringStopsRestartsEveryCanister(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 64<<10)
	mnt := filepath.Join(t.TempDir(), "tmpfs")
	require.NoError(t, os.Mkdir(mnt, 0o700))
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=4m,mode=0700"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount a tmpfs at %s (the test needs root, as in CI): %v", mnt, err)
		}
		t.Skipf("mount a tmpfs at %s: %v (needs root; CI runs it)", mnt, err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(mnt, syscall.MNT_DETACH) })
	out := filepath.Join(mnt, "backup")
	p := pausedCreate(t, f, out)

	filler := filepath.Join(mnt, "filler")
	fillDisk(t, filler)
	r := p.resume(t)

	require.NotEqual(t, 0, r.code, r.String())
	assert.Contains(t, r.stderr, "no space left on device", r.String())
	assert.Contains(t, r.stderr, "journal could not record it", r.String())
	assert.NotEqual(t, 4, r.code, "nothing is left stopped: %s", r.String())
	assert.NotContains(t, r.stderr, "left stopped", r.String())
	assert.Contains(t, r.stderr, "run `canic-backup backup recover --dir "+out+" --config "+f.cfg+" --env "+envAgent+"`", r.String())
	assert.Equal(t, allRunning(f.children...), statuses(t, f.s, f.children...), "every canister runs again")

	require.NoError(t, os.Remove(filler))
	r = cli(t, f.dir, nil, "backup", "recover", "--dir", out, "--config", f.cfg, "--env", envAgent)
	require.Equal(t, 0, r.code, r.String())
	assert.NotContains(t, r.stdout, "nothing to do", r.String())
	for _, id := range f.children {
		assert.Contains(t, r.stdout, "already running "+id, r.String())
	}
	assert.Empty(t, runner.LeftStopped(readExecutionJournal(t, out)))

	r = cli(t, f.dir, nil, "backup", "resume", "--dir", out, "--config", f.cfg, "--env", envAgent, "--retry-failed")
	require.Equal(t, 0, r.code, r.String())
	assert.Equal(t, allRunning(f.children...), statuses(t, f.s, f.children...))
}

// fillDisk writes path until its file system has no byte left.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	require.NoError(t, err)
	defer fh.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := fh.Write(buf); err != nil {
			require.ErrorIs(t, err, syscall.ENOSPC)
			break
		}
	}
	for {
		if _, err := fh.Write(buf[:1]); err != nil {
			break
		}
	}
}
