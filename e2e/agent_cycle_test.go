package e2e

import (
	"testing"

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

	rootBefore := digests(t, f.s, f.root)
	mutateAll(t, f.s, atBackup)

	jpath := prepareRestore(t, f, out, "restore", "")
	r := restoreRun(t, f, envAgent, jpath, "dry-run")
	require.Equal(t, 0, r.code, r.String())
	assert.Contains(t, r.stdout, "0/15 operations completed")

	runs := restoreToCompletion(t, f, envAgent, jpath, 4)
	assert.Equal(t, 4, runs, "15 operations in batches of 4")
	assert.Equal(t, atBackup, digests(t, f.s, f.children...), "every member is back at its backup-time state")
	assert.Equal(t, rootBefore, digests(t, f.s, f.root), "the root, not in the backup, is untouched")
	assert.Equal(t, allRunning(f.children...), statuses(t, f.s, f.children...))
}
