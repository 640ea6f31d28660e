package e2e

import (
	"testing"

	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRestoreRunFullSnapshotSlotSaysWhy, for the agent and the icp
// executor: an upload to a canister whose snapshot slots are full fails
// with the executor's own message on stderr and in the receipt, not a bare
// status with empty stderr.
func TestRestoreRunFullSnapshotSlotSaysWhy(t *testing.T) {
	t.Parallel()
	for _, env := range []string{envAgent, envICP} {
		t.Run(env, func(t *testing.T) {
			t.Parallel()
			f := startFleet(t, 1<<16)
			out, _ := backupFleet(t, f, env)
			jpath := prepareRestore(t, f, out, "full", "")
			j := readRestoreJournal(t, jpath)
			victim := j.Operations[0].TargetCanister
			fleettest.FillSnapshots(t, f.Sim, victim)

			r := restoreRun(t, f, env, jpath, "execute")
			require.NotEqual(t, 0, r.Code, r.String())
			assert.Contains(t, r.Stderr, "executor: ", r.String())
			assert.Contains(t, r.Stderr, "maximum number of snapshots", r.String())
			j = readRestoreJournal(t, jpath)
			require.NotEmpty(t, j.OperationReceipts)
			last := j.OperationReceipts[len(j.OperationReceipts)-1]
			require.NotNil(t, last.Stderr)
			assert.Contains(t, last.Stderr.Text, "maximum number of snapshots", "the receipt keeps the executor's message")
			t.Logf("%s stderr: %s", env, r.Stderr)
		})
	}
}
