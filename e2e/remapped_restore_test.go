package e2e

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/canic-backup/canic-backup/internal/simfleet"
)

// TestRemappedRestoreSurvivesAFailure, for the agent and the icp
// executor: after a backup of root + 3 children and a change of every
// canister's state, a restore maps one member onto a freshly created
// canister. That canister's controllers are taken away before the run, so
// its upload fails in the middle of `restore run --execute` (non-zero
// exit, a failed operation whose receipt says why); once its controllers
// are back, `restore run --retry-failed` and `--execute` complete, and
// every restored digest (the fresh canister's compared with its source's
// backup-time digest) equals the one at backup time.
func TestRemappedRestoreSurvivesAFailure(t *testing.T) {
	t.Parallel()
	for _, env := range []string{envAgent, envICP} {
		t.Run(env, func(t *testing.T) {
			t.Parallel()
			f := startFleet(t, 1<<20)
			out, atBackup := backupFleet(t, f, env)
			mutateAll(t, f.Sim, atBackup)
			mutated := fleettest.Digests(t, f.Sim, f.Children...)

			source := f.Children[2]
			fresh := fleettest.FreshCanister(t, f.Sim)
			mapping := filepath.Join(f.Dir, "mapping.json")
			writeMapping(t, mapping, restore.Mapping{Members: []restore.MappingEntry{
				{SourceCanister: f.Children[0], TargetCanister: f.Children[0]},
				{SourceCanister: f.Children[1], TargetCanister: f.Children[1]},
				{SourceCanister: source, TargetCanister: fresh},
			}})
			jpath := prepareRestore(t, f, out, "remap", mapping)

			// The failure: the fresh canister no longer lets the backup
			// identity control it.
			stranger := []byte{0xB0, 0x0B}
			fleettest.SetControllers(t, f.Sim, simfleet.Controller(f.Sim), fresh, stranger)

			r := restoreRun(t, f, env, jpath, "execute")
			require.NotEqual(t, 0, r.Code, r.String())
			assert.Contains(t, r.Stderr, "restore run command failed for operation")
			j := readRestoreJournal(t, jpath)
			assert.Equal(t, 1, j.FailedOperations)
			assert.Positive(t, j.CompletedOperations, "the failure came in the middle of the run")
			var failed *restore.OperationReceipt
			for i := range j.OperationReceipts {
				if rc := &j.OperationReceipts[i]; rc.Outcome == restore.OutcomeCommandFailed {
					failed = rc
				}
			}
			require.NotNil(t, failed, "a failed receipt")
			assert.Equal(t, restore.OpUploadSnapshot, failed.Operation)
			assert.Equal(t, fresh, failed.TargetCanister)
			assert.Equal(t, source, failed.SourceCanister)
			require.NotNil(t, failed.Status)
			assert.Equal(t, "unauthorized", *failed.Status)

			// Fix the cause, retry, finish.
			fleettest.SetControllers(t, f.Sim, stranger, fresh, simfleet.Controller(f.Sim))
			r = restoreRun(t, f, env, jpath, "retry-failed")
			require.Equal(t, 0, r.Code, r.String())
			restoreToCompletion(t, f, env, jpath, 0)

			got := fleettest.Digests(t, f.Sim, append([]string{fresh}, f.Children...)...)
			assert.Equal(t, atBackup[f.Children[0]], got[f.Children[0]])
			assert.Equal(t, atBackup[f.Children[1]], got[f.Children[1]])
			assert.Equal(t, atBackup[source], got[fresh], "the fresh canister holds its source's backup-time state")
			assert.Equal(t, mutated[source], got[source], "the remapped source itself is untouched")
			assert.Equal(t, allRunning(fresh, f.Children[0], f.Children[1]), fleettest.Statuses(t, f.Sim, fresh, f.Children[0], f.Children[1]))
			wantHash, _ := f.Sim.Replica().ModuleHash(fleettest.Raw(t, source))
			gotHash, _ := f.Sim.Replica().ModuleHash(fleettest.Raw(t, fresh))
			assert.True(t, bytes.Equal(wantHash, gotHash), "the fresh canister runs its source's module")
		})
	}
}
