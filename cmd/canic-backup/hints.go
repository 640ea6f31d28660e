package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/verify"
)

// deadEndHint is the message for a run error that no `backup resume` can
// get past (the same resume would fail the same way): it says why and
// names what moves forward instead. "" for any other error.
func deadEndHint(runErr error, c *cli.Context) string {
	create := "canic-backup backup create"
	if f := c.String("config"); f != "" {
		create += " --config " + f
	}
	if v := c.String("env"); v != "" {
		create += " --env " + v
	}
	if v := c.String("store"); v != "" {
		create += " --store " + v
	}
	if errors.Is(runErr, plan.ErrTopologyPreflightHashMismatch) || errors.Is(runErr, plan.ErrTopologyPreflightTargetsMismatch) {
		return "no resume can continue this backup: the fleet's topology changed since it was planned, and every snapshot of a backup " +
			"must come from the planned fleet (nothing was stopped); start a new backup with `" + create + "`"
	}
	var failed *runner.FailedOperationError
	if errors.Is(runErr, runner.ErrNotInSink) ||
		(errors.As(runErr, &failed) && strings.Contains(strings.Join(failed.Reasons, "\n"), runner.ErrNotInSink.Error())) {
		return "no resume can complete this backup: an artifact left its staging directory but the store does not hold it, " +
			"so its snapshot must be downloaded again; start a new backup with `" + create + "`"
	}
	return ""
}

// repeatedFailureHint is the message for an operation that failed twice in
// a row with the same reason (the journal in dir records both attempts):
// retrying as it is fails again, so the hint says to remove the cause
// first. "" when the failure is new.
func repeatedFailureHint(runErr error, dir, cmd string) string {
	var cf *runner.CommandFailedError
	if !errors.As(runErr, &cf) {
		return ""
	}
	j, err := verify.ReadExecutionJournal(dir)
	if err != nil {
		return ""
	}
	reasons := failureReasons(j, cf.Sequence)
	if len(reasons) < 2 || reasons[len(reasons)-1] != reasons[len(reasons)-2] {
		return ""
	}
	if !strings.Contains(cmd, "--retry-failed") {
		cmd += " --retry-failed"
	}
	return fmt.Sprintf("operation %d failed the same way in its last %d attempts; retrying as it is will fail again: "+
		"remove the cause named above first, then run `%s`", cf.Sequence, sameTail(reasons), cmd)
}

// failureReasons lists the failure reasons the journal records for the
// operation seq, oldest first.
func failureReasons(j *journal.BackupExecutionJournal, seq uint64) []string {
	var out []string
	for _, r := range j.OperationReceipts {
		if r.Sequence == seq && r.Outcome == journal.OutcomeFailed && r.FailureReason != nil {
			out = append(out, *r.FailureReason)
		}
	}
	return out
}

// sameTail counts the trailing equal reasons.
func sameTail(reasons []string) int {
	n := 1
	for i := len(reasons) - 2; i >= 0 && reasons[i] == reasons[len(reasons)-1]; i-- {
		n++
	}
	return n
}
