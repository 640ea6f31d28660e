package runner

import (
	"context"
	"fmt"

	"github.com/canic-backup/canic-backup/core/journal"
)

// RecoveredReason is the failure reason Recover records on the operation it
// interrupts when the journal had no failed operation (a crash or a pause
// left canisters stopped).
const RecoveredReason = "interrupted by backup recover: canisters left stopped were restarted; retry to continue"

// RecoverReport says what Recover did (JSON for `backup recover --json`).
type RecoverReport struct {
	PlanID string `json:"plan_id"`
	RunID  string `json:"run_id"`
	// FailedSequence is the failed operation that carries the restart
	// markers (nil when nothing was left stopped).
	FailedSequence *uint64 `json:"failed_sequence"`
	// Interrupted is true when Recover itself recorded that operation as
	// failed (with RecoveredReason) because the journal had none.
	Interrupted bool `json:"interrupted"`
	// Restarted are the canisters started now; StillStopped are those whose
	// start failed (they stay recorded as stopped).
	Restarted    []string `json:"restarted"`
	StillStopped []string `json:"still_stopped"`
	// AlreadyRunning are canisters the journal records as stopped that the
	// executor reports running (a run restarted them but could not record
	// it, for example on a full disk): their restart is recorded now,
	// without a start call. New in this port.
	AlreadyRunning []string `json:"already_running"`
}

// LeftStopped returns the canisters the journal records as stopped by the
// backup and not restarted since: a completed (or failed or in-flight) stop,
// no completed or skipped start, and no RestartedReasonPrefix marker on
// the failed operation. Order is the plan's start order.
func LeftStopped(j *journal.BackupExecutionJournal) []string {
	failed := failedOperation(j)
	// A failed stop, or one in flight when the run died (a concurrent run
	// may leave several), may have stopped its canister.
	var probes []journal.BackupExecutionJournalOperation
	for _, op := range j.Operations {
		if op.State == journal.StatePending || op.State == journal.StateFailed {
			probes = append(probes, op)
		}
	}
	restarted := map[string]bool{}
	if failed != nil {
		for _, id := range restartedCanisters(failed) {
			restarted[id] = true
		}
	}
	var out []string
	for _, id := range stoppedCanisters(j, probes...) {
		if !restarted[id] {
			out = append(out, id)
		}
	}
	return out
}

// failedOperation returns the journal's failed operation, if any (a
// sequential run has at most one).
func failedOperation(j *journal.BackupExecutionJournal) *journal.BackupExecutionJournalOperation {
	for i := range j.Operations {
		if j.Operations[i].State == journal.StateFailed {
			return &j.Operations[i]
		}
	}
	return nil
}

// Recover starts every canister the journal of cfg.Dir records as stopped
// and not restarted (LeftStopped), under the directory's lock, and records
// each restart in the journal as a RestartedReasonPrefix reason of the
// failed operation, exactly as a failing run's compensation does. When no
// operation is failed (the run crashed or was paused with canisters
// stopped), Recover first records the operation in flight (or the next one)
// as failed with RecoveredReason, so a later `backup run --retry-failed`
// re-stops the canisters before any snapshot is taken. With nothing left
// stopped it changes nothing. A start that fails is returned as a
// *RestartError and listed in StillStopped.
func Recover(ctx context.Context, cfg Config, exec Executor) (*RecoverReport, error) {
	s := store{dir: cfg.Dir}
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	p, err := s.readPlan()
	if err != nil {
		return nil, err
	}
	j, err := s.readExecution()
	if err != nil {
		return nil, err
	}
	if err := checkPlanJournal(p, j); err != nil {
		return nil, fmt.Errorf("%s: %w", s.path(ExecutionJournalFile), err)
	}
	r, err := newRun(cfg, exec, s, p, j)
	if err != nil {
		return nil, err
	}
	report := &RecoverReport{PlanID: p.PlanID, RunID: p.RunID, Restarted: []string{}, StillStopped: []string{}, AlreadyRunning: []string{}}
	ids, running := r.recoverTargets(ctx)
	if len(ids) == 0 && len(running) == 0 {
		return report, nil
	}
	failed := failedOperation(j)
	if failed == nil {
		if failed, err = r.interrupt(); err != nil {
			return report, err
		}
		report.Interrupted = true
	}
	seq := failed.Sequence
	report.FailedSequence = &seq
	if len(running) > 0 {
		if err := r.recordRunning(failed, running); err != nil {
			return report, err
		}
		report.AlreadyRunning = append(report.AlreadyRunning, running...)
	}
	restarted, err := r.restartCanisters(ctx, failed, ids)
	report.Restarted = append(report.Restarted, restarted...)
	report.StillStopped = append(report.StillStopped, LeftStopped(r.journal)...)
	return report, err
}

// recoverTargets splits LeftStopped into the canisters to start and
// those already running whose restart is only to be recorded. Without a
// StatusReader (or when a status cannot be read) the canister is started
// (starting a running canister succeeds).
func (r *run) recoverTargets(ctx context.Context) (start, running []string) {
	sr, ok := r.exec.(StatusReader)
	if !ok {
		return LeftStopped(r.journal), nil
	}
	for _, id := range LeftStopped(r.journal) {
		// A status that cannot be read is no reason not to start: the
		// canister is started (starting a running canister succeeds).
		st, err := sr.CanisterRunStatus(ctx, id)
		if err == nil && st == "running" {
			running = append(running, id)
		} else {
			start = append(start, id)
		}
	}
	return start, running
}

// recordRunning records ids (read running) as restarted on failed and
// persists the journal.
func (r *run) recordRunning(failed *journal.BackupExecutionJournalOperation, ids []string) error {
	op := r.journal.Operation(failed.Sequence)
	for _, id := range ids {
		op.BlockingReasons = append(op.BlockingReasons, RestartedReasonPrefix+id)
	}
	return r.store.writeExecution(r.journal)
}

// interrupt records the pending operation (or, without one, the next ready
// one) as failed with RecoveredReason and persists the journal.
func (r *run) interrupt() (*journal.BackupExecutionJournalOperation, error) {
	pending, err := r.failPending(RecoveredReason, "recovery")
	if err != nil {
		return nil, err
	}
	if err := r.store.writeExecution(r.journal); err != nil {
		return nil, err
	}
	return r.journal.Operation(pending.Sequence), nil
}
