package verify

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func planAndJournal(t *testing.T) (*plan.BackupPlan, *journal.BackupExecutionJournal) {
	t.Helper()
	var p plan.BackupPlan
	require.NoError(t, wire.Unmarshal(golden.Read(t, "backup/backup-plan.json"), &p))
	j, err := journal.DecodeExecutionJournal(golden.Read(t, "backup/backup-execution-journal.json"))
	require.NoError(t, err)
	return &p, j
}

// §10.5: execution_integrity_verifies_plan_and_journal_match and
// execution_integrity_rejects_plan_journal_operation_mismatch, plus every
// other field of the comparison.
func TestExecutionIntegrityChecklist(t *testing.T) {
	other := "aaaaa-aa"
	cases := []struct {
		name   string
		mutate func(p *plan.BackupPlan, j *journal.BackupExecutionJournal)
		code   Code
		msg    string
	}{
		{"execution_integrity_verifies_plan_and_journal_match", func(*plan.BackupPlan, *journal.BackupExecutionJournal) {}, "", ""},
		{"plan_id", func(_ *plan.BackupPlan, j *journal.BackupExecutionJournal) { j.PlanID = "plan-x" },
			CodePlanJournalMismatch, "backup plan plan_id does not match execution journal"},
		{"run_id", func(_ *plan.BackupPlan, j *journal.BackupExecutionJournal) { j.RunID = "run-x" },
			CodePlanJournalMismatch, "backup plan run_id does not match execution journal"},
		{"operation_count", func(_ *plan.BackupPlan, j *journal.BackupExecutionJournal) { j.Operations = j.Operations[:19] },
			CodePlanJournalMismatch, "backup plan operation_count does not match execution journal"},
		{"sequence", func(_ *plan.BackupPlan, j *journal.BackupExecutionJournal) { j.Operations[4].Sequence = 40 },
			CodePlanJournalOperationMismatch, "backup plan operation 40 sequence does not match execution journal"},
		{"execution_integrity_rejects_plan_journal_operation_mismatch", func(_ *plan.BackupPlan, j *journal.BackupExecutionJournal) {
			j.Operations[4].OperationID = "changed"
		}, CodePlanJournalOperationMismatch, "backup plan operation 4 operation_id does not match execution journal"},
		{"kind", func(p *plan.BackupPlan, j *journal.BackupExecutionJournal) {
			for _, ph := range p.Phases {
				if ph.Kind != j.Operations[5].Kind {
					j.Operations[5].Kind = ph.Kind
					return
				}
			}
		},
			CodePlanJournalOperationMismatch, "backup plan operation 5 kind does not match execution journal"},
		{"target", func(_ *plan.BackupPlan, j *journal.BackupExecutionJournal) { j.Operations[5].TargetCanisterID = &other },
			CodePlanJournalOperationMismatch, "backup plan operation 5 target_canister_id does not match execution journal"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, j := planAndJournal(t)
			tc.mutate(p, j)
			rep, err := Execution(p, j)
			if tc.code == "" {
				require.NoError(t, err)
				assert.Equal(t, 20, rep.PlanOperations)
				assert.Equal(t, 20, rep.JournalOperations)
				return
			}
			requireFailure(t, err, tc.code, "", tc.msg)
		})
	}
}

func TestExecutionLayoutNamesTheJournal(t *testing.T) {
	dir := goldenLayout(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, PlanFile), golden.Read(t, "backup/extra/dry-run.backup-plan.json"), 0o644))
	_, err := ExecutionLayout(dir)
	requireFailure(t, err, CodePlanJournalMismatch, filepath.Join(dir, ExecutionJournalFile), "")
}

func TestLayoutStatusOfGoldenJournals(t *testing.T) {
	cases := []struct {
		file     string
		manifest bool
		want     LayoutStatus
	}{
		{"backup/backup-execution-journal.json", true, StatusComplete},
		{"backup/backup-execution-journal.json", false, StatusRunning},
		{"backup/extra/dry-run.backup-execution-journal.json", false, StatusDryRun},
		{"backup/extra/initial.backup-execution-journal.json", false, StatusDryRun},
		{"backup/extra/partial.backup-execution-journal.json", false, StatusRunning},
		{"backup/extra/failed-run.backup-execution-journal.json", false, StatusFailed},
		{"backup/extra/nonroot-fleet-failed.backup-execution-journal.json", false, StatusFailed},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			j, err := journal.DecodeExecutionJournal(golden.Read(t, tc.file))
			require.NoError(t, err)
			assert.Equal(t, tc.want, Status(j, tc.manifest))
		})
	}
}

func TestManifestExists(t *testing.T) {
	dir := goldenLayout(t)
	ok, err := ManifestExists(dir)
	require.NoError(t, err)
	assert.True(t, ok)
	require.NoError(t, os.Remove(filepath.Join(dir, ManifestFile)))
	ok, err = ManifestExists(dir)
	require.NoError(t, err)
	assert.False(t, ok)
}
