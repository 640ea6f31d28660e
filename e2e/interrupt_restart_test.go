//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/canic-backup/canic-backup/internal/killpoint"
)

// pausedRun is a `backup create` paused right after its stops.
type pausedRun struct {
	*fleettest.Running
	pause string
}

// pausedCreate starts `backup create` into out, paused right after every
// stop completed (killpoint.RunnerStopsCompleted with a pause file), and
// returns once the pause is reached and every child is stopped.
func pausedCreate(t *testing.T, f *fleet, out string) *pausedRun {
	t.Helper()
	p := &pausedRun{pause: filepath.Join(t.TempDir(), "paused")}
	p.Running = canic.Start(t, f.Dir, []string{
		killpoint.EnvKill + "=main/" + killpoint.RunnerStopsCompleted + ":1",
		killpoint.EnvPause + "=" + p.pause,
	}, "backup", "create", "--config", f.Config, "--env", envAgent, "--out", out)
	require.Eventually(t, func() bool {
		_, err := os.Stat(p.pause)
		return err == nil
	}, 2*time.Minute, 10*time.Millisecond, "the run reaches the end of its stops\nstderr:\n%s", p.Err)
	for id, st := range fleettest.Statuses(t, f.Sim, f.Children...) {
		require.Equal(t, "stopped", st, "%s is stopped at the pause", id)
	}
	return p
}

// resume lets the paused run go on and waits (at most 3 minutes) for it.
func (p *pausedRun) resume(t *testing.T) result {
	t.Helper()
	require.NoError(t, os.Remove(p.pause))
	return p.Wait(t)
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
			before := fleettest.Digests(t, f.Sim, f.Children...)
			out := filepath.Join(f.Dir, "backup")
			p := pausedCreate(t, f, out)
			require.NoError(t, p.Cmd.Process.Signal(sig))
			// The signal is handled while the run is paused; then it goes on.
			require.Eventually(t, func() bool { return strings.Contains(p.Err.String(), "canic-backup: ") },
				time.Minute, 5*time.Millisecond, "the signal is acknowledged")
			r := p.resume(t)

			require.NotEqual(t, 0, r.Code, r.String())
			assert.NotEqual(t, 4, r.Code, "nothing is left stopped: %s", r.String())
			assert.Contains(t, r.Stderr, "are started again")
			assert.NotContains(t, r.Stderr, "left stopped", r.String())
			// The hint moves the backup forward: resume must retry the
			// operation the interruption recorded as failed.
			assert.Contains(t, r.Stderr, "backup resume --dir "+out+" --config "+f.Config+" --env "+envAgent+" --retry-failed`", r.String())
			assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...), "every canister runs again")

			j := readExecutionJournal(t, out)
			assert.Empty(t, runner.LeftStopped(j), "the journal records the restarts")
			reasons := strings.Join(failureReasons(t, out), "\n")
			assert.Contains(t, reasons, runner.InterruptedReasonPrefix)
			for _, id := range f.Children {
				assert.Contains(t, reasons, runner.RestartedReasonPrefix+id)
			}

			r = canic.Run(t, f.Dir, nil, "backup", "recover", "--dir", out, "--config", f.Config, "--env", envAgent)
			require.Equal(t, 0, r.Code, r.String())
			assert.Contains(t, r.Stdout, "nothing to do")

			r = canic.Run(t, f.Dir, nil, "backup", "resume", "--dir", out, "--config", f.Config, "--env", envAgent, "--retry-failed")
			require.Equal(t, 0, r.Code, r.String())
			r = canic.Run(t, f.Dir, nil, "backup", "verify", "--dir", out)
			require.Equal(t, 0, r.Code, r.String())
			assert.Equal(t, before, fleettest.Digests(t, f.Sim, f.Children...))
			assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...))
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

	require.NotEqual(t, 0, r.Code, r.String())
	assert.Contains(t, r.Stderr, "no space left on device", r.String())
	assert.Contains(t, r.Stderr, "journal could not record it", r.String())
	assert.NotEqual(t, 4, r.Code, "nothing is left stopped: %s", r.String())
	assert.NotContains(t, r.Stderr, "left stopped", r.String())
	assert.Contains(t, r.Stderr, "run `canic-backup backup recover --dir "+out+" --config "+f.Config+" --env "+envAgent+"`", r.String())
	assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...), "every canister runs again")

	require.NoError(t, os.Remove(filler))
	r = canic.Run(t, f.Dir, nil, "backup", "recover", "--dir", out, "--config", f.Config, "--env", envAgent)
	require.Equal(t, 0, r.Code, r.String())
	assert.NotContains(t, r.Stdout, "nothing to do", r.String())
	for _, id := range f.Children {
		assert.Contains(t, r.Stdout, "already running "+id, r.String())
	}
	assert.Empty(t, runner.LeftStopped(readExecutionJournal(t, out)))

	r = canic.Run(t, f.Dir, nil, "backup", "resume", "--dir", out, "--config", f.Config, "--env", envAgent, "--retry-failed")
	require.Equal(t, 0, r.Code, r.String())
	assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...))
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
