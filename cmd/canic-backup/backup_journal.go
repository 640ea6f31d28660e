package main

import (
	"fmt"
	"path/filepath"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/verify"
)

// checkedRun is a backup directory's plan and execution journal, each
// validated and checked against the other, with the layout status they
// give (backup status and inspect read a directory this way).
type checkedRun struct {
	plan    *plan.BackupPlan
	journal *journal.BackupExecutionJournal
	status  verify.LayoutStatus
}

// readPlanAndJournal reads and validates dir's plan and execution journal.
func readPlanAndJournal(dir string) (*plan.BackupPlan, *journal.BackupExecutionJournal, error) {
	p, err := verify.ReadPlan(dir)
	if err != nil {
		return nil, nil, err
	}
	j, err := verify.ReadExecutionJournal(dir)
	if err != nil {
		return nil, nil, err
	}
	return p, j, nil
}

// readCheckedRun reads dir's plan and execution journal, checks the
// journal against the plan (an error names the journal file) and derives
// the layout status from the journal and whether a manifest exists.
func readCheckedRun(dir string) (checkedRun, error) {
	p, j, err := readPlanAndJournal(dir)
	if err != nil {
		return checkedRun{}, err
	}
	if _, err := verify.Execution(p, j); err != nil {
		return checkedRun{}, fmt.Errorf("%s: %w", filepath.Join(dir, verify.ExecutionJournalFile), err)
	}
	hasManifest, err := verify.ManifestExists(dir)
	if err != nil {
		return checkedRun{}, err
	}
	return checkedRun{plan: p, journal: j, status: verify.Status(j, hasManifest)}, nil
}
