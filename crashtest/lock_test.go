package crashtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/sim"
)

// TestSecondRunIsRefusedWithTheHolder: while one `backup create` runs
// (slowed by simulator latency), `backup resume` on the same directory is
// refused naming the first process's pid, host and start time; once the
// first is SIGKILLed the kernel drops its flock and the resume completes.
func TestSecondRunIsRefusedWithTheHolder(t *testing.T) {
	f := startFleet(t)
	f.Sim.SetFaults(sim.Faults{UpdateLatency: 300 * time.Millisecond})
	out := filepath.Join(f.Dir, "backup")
	first := exec.Command(canic.Bin, "backup", "create", "--config", f.Config, "--env", envAgent, "--out", out)
	first.Dir = f.Dir
	first.Env = append(os.Environ(), "CANIC_BACKUP_LOG=", marker+"="+t.Name())
	var firstErr bytes.Buffer
	first.Stderr = &firstErr
	require.NoError(t, first.Start())
	require.Eventually(t, func() bool {
		_, err := os.Stat(filepath.Join(out, runner.ExecutionJournalFile))
		return err == nil
	}, time.Minute, 10*time.Millisecond)

	host, err := os.Hostname()
	require.NoError(t, err)
	r := canic.Run(t, f.Dir, nil, "backup", "resume", "--dir", out, "--config", f.Config, "--env", envAgent)
	require.NotEqual(t, 0, r.Code, r.String())
	assert.Regexp(t, regexp.MustCompile(`is locked: .*held by pid `+strconv.Itoa(first.Process.Pid)+` on host `+regexp.QuoteMeta(host)+` since `), r.Stderr)

	require.NoError(t, first.Process.Kill())
	_ = first.Wait()
	noOrphans(t, t.Name(), f.Sim.URL())
	f.Sim.SetFaults(sim.Faults{})
	for runs := 0; ; runs++ {
		require.Less(t, runs, 4, "%s", r)
		r = canic.Run(t, f.Dir, nil, backupNext(t, f, envAgent, out, result{Code: 1, Killed: true, Stderr: r.Stderr}, nil)...)
		if r.Code == 0 {
			break
		}
	}
	assert.Empty(t, stopped(t, f.Sim, f.Children...))
	v := canic.Run(t, f.Dir, nil, "backup", "verify", "--dir", out)
	assert.Equal(t, 0, v.Code, v.String())
}

// TestCompletedRunsDoNoWork: re-running a completed backup or restore
// executes nothing and says so.
func TestCompletedRunsDoNoWork(t *testing.T) {
	f := startFleet(t)
	out := filepath.Join(f.Dir, "backup")
	r := canic.Run(t, f.Dir, nil, "backup", "create", "--config", f.Config, "--env", envAgent, "--out", out)
	require.Equal(t, 0, r.Code, r.String())
	calls := f.Sim.Counters().Calls
	r = canic.Run(t, f.Dir, nil, "backup", "resume", "--dir", out, "--config", f.Config, "--env", envAgent)
	require.Equal(t, 0, r.Code, r.String())
	assert.Regexp(t, `resume\s+complete`, r.Stdout)
	for _, m := range []string{"stop_canister", "take_canister_snapshot", "read_canister_snapshot_data", "start_canister"} {
		assert.Equal(t, calls[m], f.Sim.Counters().Calls[m], "a completed backup resumed calls no %s", m)
	}

	g := startFleet(t)
	_, jpath := prepareRestore(t, g, out)
	finishRestore(t, g, envAgent, jpath)
	calls = g.Sim.Counters().Calls
	r = restoreRun(t, g, envAgent, jpath, "--execute")
	require.Equal(t, 0, r.Code, r.String())
	assert.Contains(t, r.Stdout, "next: done")
	for _, m := range []string{"stop_canister", "upload_canister_snapshot_metadata", "load_canister_snapshot", "start_canister"} {
		assert.Equal(t, calls[m], g.Sim.Counters().Calls[m], "a completed restore re-run calls no %s", m)
	}
}
