package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/plan"
)

// result is a finished operation, sent from its worker to the run.
type result struct {
	op  journal.BackupExecutionJournalOperation
	out outcome
	err error
}

// loopConcurrent is loop with Config.Concurrency > 1: every operation
// fleetOrdering admits is marked pending and handed to a worker, up to the
// caps of its pool. The journals stay the run goroutine's: workers perform
// executor calls and download-journal steps (serialized by downloadMu) and
// send their result back. The run commits in groups: the receipts of every
// result waiting, and the pending marks of the operations they admit, are
// persisted in one atomic journal write, before their finish is emitted and
// before any admitted operation starts. After a failure no operation is
// started, those in flight are awaited and recorded, and the canisters left
// stopped are restarted.
func (r *run) loopConcurrent(ctx context.Context) (*Response, error) {
	if err := r.prepareRetries(ctx); err != nil {
		return r.response(false), err
	}
	ord := newFleetOrdering(r.plan)
	results := make(chan result)
	inflight := map[uint64]bool{}
	busy := map[pool]int{}
	var (
		failed   []*journal.BackupExecutionJournalOperation
		failErrs []error
		writeErr error
		recorded []result // receipts recorded, not yet persisted
		outcomes []string
	)
	stopping := func() bool { return len(failed) > 0 || writeErr != nil || ctx.Err() != nil }
	for {
		var admitted []journal.BackupExecutionJournalOperation
		marked := false
		if !stopping() {
			var err error
			if admitted, marked, err = r.admit(ord, inflight, busy, len(recorded)); err != nil {
				writeErr = err
			}
		}
		if writeErr == nil && (marked || len(recorded) > 0) {
			if err := r.store.writeExecution(r.journal); err != nil {
				writeErr = err
			}
		}
		if writeErr == nil {
			if err := r.finishBatch(recorded, outcomes); err != nil {
				writeErr = err
			} else if ctx.Err() == nil {
				// A run cancelled meanwhile (a signal while a kill point
				// paused, or during the write) starts nothing more: the
				// admitted operations stay pending on disk, and the exit
				// restart records the interruption on them instead of
				// failing them with the cancelled context.
				r.startWorkers(ctx, admitted, inflight, results)
			}
		}
		recorded, outcomes = nil, nil
		if len(inflight) == 0 {
			break
		}
		// Group commit: every result already waiting is recorded with
		// this one.
		batch := []result{<-results}
	drain:
		for {
			select {
			case more := <-results:
				batch = append(batch, more)
			default:
				break drain
			}
		}
		for _, res := range batch {
			delete(inflight, res.op.Sequence)
			busy[poolOf(res.op.Kind)]--
		}
		if writeErr != nil {
			continue
		}
		var err error
		if recorded, outcomes, err = r.recordBatch(batch); err != nil {
			writeErr = err
			continue
		}
		for i, res := range recorded {
			if outcomes[i] == OutcomeFailed {
				failed = append(failed, r.journal.Operation(res.op.Sequence))
				// Every failure is reported, in the order they happened
				// (one failure is returned as it is).
				failErrs = append(failErrs, res.err)
			}
		}
	}
	var failErr error
	switch len(failErrs) {
	case 0:
	case 1:
		failErr = failErrs[0]
	default:
		failErr = errors.Join(failErrs...)
	}
	switch {
	case writeErr != nil:
		return r.response(false), errors.Join(failErr, writeErr)
	case len(failed) > 0:
		if err := r.restartAfter(ctx, failed); err != nil {
			return r.response(false), errors.Join(failErr, err)
		}
		return r.response(false), failErr
	case r.journal.Complete():
		return r.response(false), nil
	case r.cfg.MaxSteps > 0 && len(r.executed) >= r.cfg.MaxSteps:
		return r.response(true), nil
	case ctx.Err() != nil:
		return r.response(false), ctx.Err()
	}
	return r.response(false), ErrNoReadyOperation
}

// caps returns the number of operations pool p may run at once.
func (r *run) capOf(p pool) int {
	if p == poolSerial {
		return 1
	}
	return r.cfg.Concurrency
}

// admit marks pending, in the journal in memory, every operation that is
// admitted now and fits its pool, and returns them; marked reports whether
// the journal changed (the caller persists it before starting any).
// finished counts operations recorded but not yet in r.executed.
func (r *run) admit(ord fleetOrdering, inflight map[uint64]bool, busy map[pool]int, finished int) (batch []journal.BackupExecutionJournalOperation, marked bool, err error) {
	for _, op := range r.journal.RunnableOperations() {
		if r.cfg.MaxSteps > 0 && len(r.executed)+finished+len(inflight)+len(batch) >= r.cfg.MaxSteps {
			break
		}
		p := poolOf(op.Kind)
		if inflight[op.Sequence] || op.State == journal.StateFailed || busy[p] >= r.capOf(p) {
			continue
		}
		if p == poolSerial && len(inflight)+len(batch) > 0 {
			continue
		}
		if ord.Admit(r.journal, op.Sequence) != nil {
			continue
		}
		if op.State != journal.StatePending {
			at := r.cfg.marker()
			if err := r.journal.MarkOperationPendingWith(ord, op.Sequence, &at); err != nil {
				return nil, marked, err
			}
			marked = true
		}
		busy[p]++
		batch = append(batch, op)
		if p == poolSerial {
			break
		}
	}
	return batch, marked, nil
}

// startWorkers emits the start of each admitted operation and hands it to
// a worker goroutine.
func (r *run) startWorkers(ctx context.Context, batch []journal.BackupExecutionJournalOperation, inflight map[uint64]bool, results chan<- result) {
	for _, op := range batch {
		r.emitOperation(EventOperationStarted, op.Sequence, op.OperationID, op.Kind, op.TargetCanisterID, "", nil)
		inflight[op.Sequence] = true
		in, err := r.prepare(&op)
		go func(op journal.BackupExecutionJournalOperation) {
			var out outcome
			if err == nil {
				out, err = r.perform(ctx, &op, in)
			}
			results <- result{op: op, out: out, err: err}
		}(op)
	}
}

// recordBatch records the receipts of finished operations (completed, or
// failed when refused by the journal or by their error) in the journal in
// memory, and returns them with their outcomes; err is a journal error.
func (r *run) recordBatch(batch []result) (recorded []result, outcomes []string, err error) {
	outcomes = make([]string, len(batch))
	for i := range batch {
		res := &batch[i]
		if res.err == nil {
			refused := r.journal.RecordOperationReceipt(r.receipt(&res.op, res.out))
			if refused == nil {
				outcomes[i] = OutcomeCompleted
				continue
			}
			res.err = refused
		}
		r.noteFailedStop(&res.op, res.err)
		at := r.cfg.marker()
		receipt := journal.FailedReceipt(r.journal, &res.op, &at, res.err.Error())
		if err := r.journal.RecordOperationReceipt(receipt); err != nil {
			return nil, nil, fmt.Errorf("record failure of operation %d: %w", res.op.Sequence, err)
		}
		outcomes[i] = OutcomeFailed
	}
	return batch, outcomes, nil
}

// finishBatch runs what follows the persistence of recorded receipts:
// the stops-completed kill point (once per write), downtime, executed
// operations and finish events, in the order the results came.
func (r *run) finishBatch(recorded []result, outcomes []string) error {
	for i := range recorded {
		if outcomes[i] == OutcomeCompleted && recorded[i].op.Kind == plan.OpStop {
			r.hitStopsCompleted(&recorded[i].op)
			break
		}
	}
	// The downtime record is written once for the group, before any
	// finish is emitted or another operation starts.
	timed := false
	for i := range recorded {
		if outcomes[i] == OutcomeCompleted && r.timing(&recorded[i].op, recorded[i].out) {
			timed = true
		}
	}
	if timed {
		if err := r.store.writeJSON(DowntimeFile, r.downtime); err != nil {
			return err
		}
	}
	for i := range recorded {
		res := &recorded[i]
		op := &res.op
		r.executed = append(r.executed, executed(op, outcomes[i]))
		outcome, opErr := OutcomeCompleted, error(nil)
		if outcomes[i] == OutcomeFailed {
			outcome, opErr = OutcomeFailed, res.err
		}
		r.emitOperation(EventOperationFinished, op.Sequence, op.OperationID, op.Kind, op.TargetCanisterID, outcome, opErr)
	}
	return nil
}

// restartAfter restarts the canisters the journal records as stopped
// (counting the targets of failed stops), marking them on the first failed
// operation in sequence order (where Recover and a retry look for them).
func (r *run) restartAfter(ctx context.Context, failed []*journal.BackupExecutionJournalOperation) error {
	probes := make([]journal.BackupExecutionJournalOperation, len(failed))
	for i, f := range failed {
		probes[i] = f.Clone()
	}
	slices.SortFunc(probes, func(a, b journal.BackupExecutionJournalOperation) int { return cmp.Compare(a.Sequence, b.Sequence) })
	_, err := r.restartCanisters(ctx, &probes[0], stoppedCanisters(r.journal, probes...))
	return err
}

// prepareRetries handles the operations a previous run left failed: without
// Config.RetryFailed the first is a *FailedOperationError; with it, the
// canisters a failed run restarted are stopped again (when snapshots remain
// to be taken) and every failed operation is marked pending, to be run
// again as the ordering admits it.
func (r *run) prepareRetries(ctx context.Context) error {
	var failed []journal.BackupExecutionJournalOperation
	for _, op := range r.journal.RunnableOperations() {
		if op.State == journal.StateFailed {
			failed = append(failed, op)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	if !r.cfg.RetryFailed {
		op := failed[0]
		return &FailedOperationError{Sequence: op.Sequence, OperationID: op.OperationID, Reasons: op.BlockingReasons}
	}
	for i := range failed {
		op := &failed[i]
		if err := r.restopBeforeRetry(ctx, op); err != nil {
			return err
		}
		at := r.cfg.marker()
		if err := r.journal.MarkOperationPendingWith(anyOrder{}, op.Sequence, &at); err != nil {
			return err
		}
		if err := r.store.writeExecution(r.journal); err != nil {
			return err
		}
	}
	return nil
}
