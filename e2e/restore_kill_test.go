package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/canic-backup/canic-backup/sim"
)

// TestRestorePluginSIGKILLDuringUploadThenUnclaim: the agent plugin process
// is killed with SIGKILL while `restore run --execute` uploads a snapshot.
// The outcome of that upload is unknown, so the run exits non-zero and
// leaves the operation pending (not failed); `restore run
// --unclaim-pending` releases it and `--execute` completes the restore
// with every digest at its backup-time value.
func TestRestorePluginSIGKILLDuringUploadThenUnclaim(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 4<<20)
	out, atBackup := backupFleet(t, f, envAgent)
	mutateAll(t, f.Sim, atBackup)
	jpath := prepareRestore(t, f, out, "restore", "")

	f.Sim.SetFaults(sim.Faults{UpdateLatency: 100 * time.Millisecond})
	cmd, stdout, stderr := canic.Command(t, f.Dir, nil, "restore", "run", "--journal", jpath, "--execute", "--config", f.Config, "--env", envAgent)
	require.Eventually(t, func() bool {
		return f.Sim.Counters().Calls["upload_canister_snapshot_data"] > 0
	}, time.Minute, 5*time.Millisecond, "an upload starts")
	require.NoError(t, fleettest.KillPID(pluginChild(t, cmd.Process.Pid)))
	r := fleettest.Wait(t, cmd, stdout, stderr)
	f.Sim.SetFaults(sim.Faults{})

	require.NotEqual(t, 0, r.Code, r.String())
	assert.Contains(t, r.Stderr, `executor "sim-agent": plugin process exited during UploadSnapshot (signal: killed)`)
	assert.Contains(t, r.Stderr, "--unclaim-pending")
	j := readRestoreJournal(t, jpath)
	assert.Equal(t, 0, j.FailedOperations, "an unknown outcome is not a failure")
	require.Equal(t, 1, j.PendingOperations)
	for _, op := range j.Operations {
		if op.State == restore.StatePending {
			assert.Equal(t, restore.OpUploadSnapshot, op.Operation)
		}
	}

	r = restoreRun(t, f, envAgent, jpath, "execute")
	require.NotEqual(t, 0, r.Code, "a pending operation blocks --execute: %s", r)
	assert.Contains(t, r.Stderr, "pending")

	r = restoreRun(t, f, envAgent, jpath, "unclaim-pending")
	require.Equal(t, 0, r.Code, r.String())
	restoreToCompletion(t, f, envAgent, jpath, 0)
	assert.Equal(t, atBackup, fleettest.Digests(t, f.Sim, f.Children...))
	assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...))
}

// TestAgentCycleUnderTransientAndLostResponses: with a fifth of update
// calls rejected as SYS_TRANSIENT and a tenth executed with their response
// lost, the agent executor's retries and reconciliation still take a
// backup that verifies and restore every digest.
func TestAgentCycleUnderTransientAndLostResponses(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 1<<20)
	f.Sim.SetFaults(sim.Faults{TransientRejectRate: 0.2, LostResponseRate: 0.1, Seed: 42})
	out, atBackup := backupFleet(t, f, envAgent)
	f.Sim.SetFaults(sim.Faults{})
	mutateAll(t, f.Sim, atBackup)
	jpath := prepareRestore(t, f, out, "restore", "")
	f.Sim.SetFaults(sim.Faults{TransientRejectRate: 0.2, LostResponseRate: 0.1, Seed: 43})
	restoreToCompletion(t, f, envAgent, jpath, 0)
	c := f.Sim.Counters()
	f.Sim.SetFaults(sim.Faults{})
	assert.Positive(t, c.TransientRejects)
	assert.Positive(t, c.LostResponses)
	assert.Equal(t, atBackup, fleettest.Digests(t, f.Sim, f.Children...))
	assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...))
}
