package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/runner"
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

// leftStoppedAttention turns a run's error into a needs-attention outcome
// (exit 4) when the journal of dir shows canisters left stopped; otherwise
// (or when the journal cannot be read) it returns runErr unchanged.
func leftStoppedAttention(dir string, runErr error) error {
	j, err := verify.ReadExecutionJournal(dir)
	if err != nil {
		return runErr
	}
	return stoppedAttention(j, dir, runErr)
}

// stoppedAttention is the needs-attention outcome (exit 4), after runErr
// if any, of a journal that records canisters left stopped; otherwise
// runErr.
func stoppedAttention(j *journal.BackupExecutionJournal, dir string, runErr error) error {
	ids := runner.LeftStopped(j)
	// Canisters the run restarted but could not record as restarted (the
	// journal write failed) are running: the resume hint says to record
	// them with `backup recover`.
	var unrecorded *runner.UnrecordedRestartError
	if errors.As(runErr, &unrecorded) {
		ids = slices.DeleteFunc(ids, func(id string) bool { return slices.Contains(unrecorded.CanisterIDs, id) })
	}
	if len(ids) == 0 {
		return runErr
	}
	return needsAttention(runErr, "canisters %s were left stopped; run `canic-backup backup recover --dir %s`",
		strings.Join(ids, ", "), dir)
}

// runnerLeftStopped is runner.LeftStopped, never nil (list and inspect
// write it as a JSON array).
func runnerLeftStopped(j *journal.BackupExecutionJournal) []string {
	ids := runner.LeftStopped(j)
	if ids == nil {
		return []string{}
	}
	return ids
}
