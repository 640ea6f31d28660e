package e2e

import (
	"testing"

	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAgentBackupRestoreCycle: through the agent executor (the
// binary re-executed as its plugin process, the simulator over HTTP), a
// backup of root + 3 children verifies; after every canister's state
// changed, restore plan → apply --dry-run → run --execute (in batches of
// --max-steps 4) restores every state digest to its backup-time value and
// leaves every canister running.
func TestAgentBackupRestoreCycle(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 2<<20)
	out, atBackup := backupFleet(t, f, envAgent)

	rootBefore := fleettest.Digests(t, f.Sim, f.Root)
	mutateAll(t, f.Sim, atBackup)

	jpath := prepareRestore(t, f, out, "restore", "")
	r := restoreRun(t, f, envAgent, jpath, "dry-run")
	require.Equal(t, 0, r.Code, r.String())
	assert.Contains(t, r.Stdout, "0/15 operations completed")

	runs := restoreToCompletion(t, f, envAgent, jpath, 4)
	assert.Equal(t, 4, runs, "15 operations in batches of 4")
	assert.Equal(t, atBackup, fleettest.Digests(t, f.Sim, f.Children...), "every member is back at its backup-time state")
	assert.Equal(t, rootBefore, fleettest.Digests(t, f.Sim, f.Root), "the root, not in the backup, is untouched")
	assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...))
}
