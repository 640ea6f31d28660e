package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/canic-backup/canic-backup/sim"
)

// TestPluginSIGKILLDuringDownloadResumes: the agent driver's plugin process
// (the binary re-executed as `plugin-serve`) is killed with a real SIGKILL
// while it downloads a snapshot (the simulator's latency keeps the
// download in flight). The run fails naming the executor and the method,
// the journal records it, no canister is left stopped, and `backup resume
// --retry-failed` completes a backup that verifies.
func TestPluginSIGKILLDuringDownloadResumes(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 4<<20)
	before := fleettest.Digests(t, f.Sim, f.Children...)
	f.Sim.SetFaults(sim.Faults{UpdateLatency: 100 * time.Millisecond})

	out := filepath.Join(f.Dir, "backup")
	cmd, stdout, stderr := canic.Command(t, f.Dir, nil, "backup", "create", "--config", f.Config, "--env", envAgent, "--out", out)
	require.Eventually(t, func() bool {
		return f.Sim.Counters().Calls["read_canister_snapshot_data"] > 0
	}, time.Minute, 5*time.Millisecond, "a download starts")
	pid := pluginChild(t, cmd.Process.Pid)
	require.NoError(t, fleettest.KillPID(pid))
	r := fleettest.Wait(t, cmd, stdout, stderr)
	f.Sim.SetFaults(sim.Faults{})

	require.NotEqual(t, 0, r.Code, r.String())
	const died = `executor "sim-agent": plugin process exited during DownloadSnapshot (signal: killed)`
	assert.Contains(t, r.Stderr, died)
	assert.Contains(t, r.Stderr, "backup resume --dir "+out)
	j := readExecutionJournal(t, out)
	var reasons []string
	for _, rc := range j.OperationReceipts {
		if rc.FailureReason != nil {
			reasons = append(reasons, string(rc.Kind)+": "+*rc.FailureReason)
		}
	}
	// Every download in flight in the killed process failed (downloads
	// run concurrently), each naming the executor; nothing else failed.
	require.NotEmpty(t, reasons)
	for _, reason := range reasons {
		assert.Contains(t, reason, "download-snapshot: ")
		assert.Contains(t, reason, died)
	}
	assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...), "no canister is left stopped")

	r = canic.Run(t, f.Dir, nil, "backup", "resume", "--dir", out, "--config", f.Config, "--env", envAgent, "--retry-failed")
	require.Equal(t, 0, r.Code, r.String())
	assert.Regexp(t, `resume\s+complete`, r.Stdout)
	r = canic.Run(t, f.Dir, nil, "backup", "verify", "--dir", out)
	require.Equal(t, 0, r.Code, r.String())
	assert.Equal(t, before, fleettest.Digests(t, f.Sim, f.Children...))
}

// pluginChild finds the `plugin-serve` child process of parent in /proc.
func pluginChild(t *testing.T, parent int) int {
	t.Helper()
	var found int
	require.Eventually(t, func() bool {
		entries, err := os.ReadDir("/proc")
		if err != nil {
			return false
		}
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
			if err != nil {
				continue
			}
			// pid (comm) state ppid ...; comm may hold spaces, so split
			// after its closing parenthesis.
			i := strings.LastIndexByte(string(stat), ')')
			fields := strings.Fields(string(stat[i+1:]))
			if len(fields) < 2 || fields[1] != strconv.Itoa(parent) {
				continue
			}
			cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if err == nil && strings.Contains(string(cmdline), "plugin-serve\x00") {
				found = pid
				return true
			}
		}
		return false
	}, 10*time.Second, 5*time.Millisecond, "the plugin-serve child of %d", parent)
	return found
}
