package main

import (
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/verify"
)

// planStatusReport is `backup status` of a layout with a plan (0.35.1's
// BackupDryRunStatusReport, used for executed layouts too).
type planStatusReport struct {
	LayoutStatus verify.LayoutStatus                  `json:"layout_status"`
	PlanID       string                               `json:"plan_id"`
	RunID        string                               `json:"run_id"`
	Fleet        string                               `json:"fleet"`
	Network      string                               `json:"network"`
	Targets      int                                  `json:"targets"`
	Operations   int                                  `json:"operations"`
	Execution    journal.BackupExecutionResumeSummary `json:"execution"`
}

func newPlanStatusReport(p *plan.BackupPlan, j *journal.BackupExecutionJournal, status verify.LayoutStatus) planStatusReport {
	return planStatusReport{
		LayoutStatus: status,
		PlanID:       p.PlanID,
		RunID:        p.RunID,
		Fleet:        p.Fleet,
		Network:      p.Network,
		Targets:      len(p.Targets),
		Operations:   len(p.Phases),
		Execution:    j.ResumeSummary(),
	}
}

// backupStatusCommand is `backup status`.
func backupStatusCommand(e env) *cli.Command {
	return &cli.Command{
		Name:         "status",
		Usage:        "summarize a backup directory's execution or download journal",
		UsageText:    "canic-backup backup status --dir DIR [--json]",
		Description:  "Example:\n   canic-backup backup status --dir backups/fleet-demo-20260512-140000 --json",
		Flags:        []cli.Flag{dirFlag(), jsonFlag()},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return backupStatus(c, e) },
	}
}

func backupStatus(c *cli.Context, e env) error {
	if err := leafArgs(c); err != nil {
		return err
	}
	dir, err := requireFlag(c, "dir")
	if err != nil {
		return err
	}
	hasPlan, err := fileExists(filepath.Join(dir, verify.PlanFile))
	if err != nil {
		return err
	}
	if !hasPlan {
		j, err := verify.ReadDownloadJournal(dir)
		if err != nil {
			return err
		}
		report := j.ResumeReport()
		if c.Bool("json") {
			return writeJSON(e.stdout, report)
		}
		fmt.Fprintf(e.stdout, "backup %s: %d/%d artifacts still need work (complete: %t)\n",
			report.BackupID, report.PendingArtifacts, report.TotalArtifacts, report.IsComplete)
		return nil
	}
	run, err := readCheckedRun(dir)
	if err != nil {
		return err
	}
	report := newPlanStatusReport(run.plan, run.journal, run.status)
	if c.Bool("json") {
		if err := writeJSON(e.stdout, report); err != nil {
			return err
		}
		return stoppedAttention(run.journal, dir, nil)
	}
	x := report.Execution
	fmt.Fprintf(e.stdout, "%s %s (%s/%s): %s\n", report.PlanID, report.RunID, report.Fleet, report.Network, report.LayoutStatus)
	fmt.Fprintf(e.stdout, "operations: %d total, %d completed, %d ready, %d pending, %d blocked, %d failed, %d skipped\n",
		x.TotalOperations, x.CompletedOperations, x.ReadyOperations, x.PendingOperations,
		x.BlockedOperations, x.FailedOperations, x.SkippedOperations)
	if x.NextOperation != nil {
		fmt.Fprintf(e.stdout, "next: %d %s (%s)\n", x.NextOperation.Sequence, x.NextOperation.OperationID, x.NextOperation.State)
	}
	if x.RestartRequired {
		fmt.Fprintln(e.stdout, "restart required: some canisters may still be stopped")
	}
	return stoppedAttention(run.journal, dir, nil)
}
