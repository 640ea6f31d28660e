package runner

import (
	"context"
	"errors"
	"time"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/plan"
)

// RestartedReasonPrefix marks, in a failed operation's blocking reasons, a
// canister the failed run restarted after the failure:
// "restarted-after-failure:<canister id>". A canister whose stop operation
// is completed and whose start operation is not is stopped unless such a
// marker names it; a retry re-stops the marked canisters before snapshots
// are taken.
const RestartedReasonPrefix = "restarted-after-failure:"

// restartTimeout bounds the compensation after a failure, which runs even
// when the run's context was cancelled (an interrupted run must not leave
// canisters stopped).
const restartTimeout = 2 * time.Minute

// stoppedCanisters returns the canisters the journal records as stopped by
// this backup (stop completed, start neither completed nor skipped), in the
// order the plan starts them, plus the targets of probes, stop operations
// that failed part-way or were in flight.
func stoppedCanisters(j *journal.BackupExecutionJournal, probes ...journal.BackupExecutionJournalOperation) []string {
	probed := map[uint64]bool{}
	for _, p := range probes {
		probed[p.Sequence] = true
	}
	stopped := map[string]bool{}
	for _, op := range j.Operations {
		if op.Kind == plan.OpStop && op.TargetCanisterID != nil &&
			(op.State == journal.StateCompleted || probed[op.Sequence]) {
			stopped[*op.TargetCanisterID] = true
		}
	}
	var out []string
	for _, op := range sortedOps(j) {
		if op.Kind == plan.OpStart && op.TargetCanisterID != nil && !op.State.Done() && stopped[*op.TargetCanisterID] {
			out = append(out, *op.TargetCanisterID)
			delete(stopped, *op.TargetCanisterID)
		}
	}
	return out
}

func sortedOps(j *journal.BackupExecutionJournal) []journal.BackupExecutionJournalOperation {
	ops := make([]journal.BackupExecutionJournalOperation, len(j.Operations))
	copy(ops, j.Operations)
	for i := 1; i < len(ops); i++ {
		for k := i; k > 0 && ops[k].Sequence < ops[k-1].Sequence; k-- {
			ops[k], ops[k-1] = ops[k-1], ops[k]
		}
	}
	return ops
}

// restartStopped starts every canister the journal records as stopped and
// records each restart as a RestartedReasonPrefix reason of the failed
// operation. Canisters that cannot be started stay recorded as stopped.
func (r *run) restartStopped(ctx context.Context, failed *journal.BackupExecutionJournalOperation) error {
	_, err := r.restartCanisters(ctx, failed, stoppedCanisters(r.journal, *failed))
	return err
}

// restartCanisters starts ids and records each one started as a
// RestartedReasonPrefix reason of the failed operation; it returns the
// canisters started.
func (r *run) restartCanisters(ctx context.Context, failed *journal.BackupExecutionJournalOperation, ids []string) ([]string, error) {
	if r.cfg.NoRestartOnFailure {
		return nil, nil
	}
	if len(ids) == 0 {
		return nil, nil
	}
	restarted, stuck, startErr := r.startAll(ctx, ids)
	if len(restarted) > 0 {
		op := r.journal.Operation(failed.Sequence)
		for _, id := range restarted {
			op.BlockingReasons = append(op.BlockingReasons, RestartedReasonPrefix+id)
		}
		if err := r.store.writeExecution(r.journal); err != nil {
			return restarted, err
		}
	}
	if len(stuck) > 0 {
		if aborted(ctx) {
			startErr = errors.Join(ErrRestartAborted, startErr)
		}
		return restarted, &RestartError{CanisterIDs: stuck, Err: startErr}
	}
	return restarted, nil
}

// startAll starts ids under the compensation context (not cancelled with
// ctx, bounded, cut short by a second interrupt), noting and announcing
// each restart; it returns the canisters started, those that could not be,
// and their joined errors.
func (r *run) startAll(ctx context.Context, ids []string) (started, stuck []string, startErr error) {
	cctx, cancel := compensationContext(ctx)
	defer cancel()
	for _, id := range ids {
		if err := r.exec.StartCanister(cctx, id); err != nil {
			stuck = append(stuck, id)
			startErr = errors.Join(startErr, err)
			continue
		}
		started = append(started, id)
		r.noteRestart(id, r.cfg.now())
		r.emit(Event{Type: EventCanisterRestarted, Target: id})
	}
	return started, stuck, startErr
}

// restartedCanisters returns the canisters op's reasons mark as restarted.
func restartedCanisters(op *journal.BackupExecutionJournalOperation) []string {
	var ids []string
	for _, reason := range op.BlockingReasons {
		if id, ok := hasReasonPrefix(reason, RestartedReasonPrefix); ok {
			ids = append(ids, id)
		}
	}
	return ids
}

// restopBeforeRetry stops again the canisters a failed run restarted, when
// snapshots remain to be taken (so the retried snapshots are taken of
// stopped canisters, as planned). The markers are cleared when the operation
// is marked pending, after this returns. If a stop fails, the canisters
// stopped here are started again so the journal stays truthful.
func (r *run) restopBeforeRetry(ctx context.Context, op *journal.BackupExecutionJournalOperation) error {
	ids := restartedCanisters(op)
	if len(ids) == 0 || !r.snapshotsPending() {
		return nil
	}
	var done []string
	for _, id := range ids {
		if err := r.exec.StopCanister(ctx, id); err != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restartTimeout)
			defer cancel()
			for _, d := range done {
				_ = r.exec.StartCanister(cctx, d)
			}
			return commandFailed(op.Sequence, op.OperationID, plan.OpStop, err)
		}
		done = append(done, id)
	}
	return nil
}

// snapshotsPending reports whether some create-snapshot operation is not done.
func (r *run) snapshotsPending() bool {
	for _, op := range r.journal.Operations {
		if op.Kind == plan.OpCreateSnapshot && !op.State.Done() {
			return true
		}
	}
	return false
}
