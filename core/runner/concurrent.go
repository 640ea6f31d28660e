package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/canic-backup/canic-backup/core/journal"
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
// send their result back; the run records receipts one at a time, each
// persisted atomically before the next is recorded. After a failure no
// operation is started, those in flight are awaited and recorded, and the
// canisters left stopped are restarted.
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
	)
	stopping := func() bool { return len(failed) > 0 || writeErr != nil || ctx.Err() != nil }
	for {
		if !stopping() {
			if err := r.launch(ctx, ord, inflight, busy, results); err != nil {
				writeErr = err
			}
		}
		if len(inflight) == 0 {
			break
		}
		res := <-results
		delete(inflight, res.op.Sequence)
		busy[poolOf(res.op.Kind)]--
		op := res.op
		if res.err == nil {
			refused, err := r.complete(&op, res.out)
			if err != nil {
				writeErr = errors.Join(writeErr, err)
				continue
			}
			if refused == nil {
				continue
			}
			res.err = refused
		}
		if err := r.recordFailure(&op, res.err); err != nil {
			writeErr = errors.Join(writeErr, err)
			continue
		}
		failed = append(failed, r.journal.Operation(op.Sequence))
		// Every failure is reported, in the order they happened (one
		// failure is returned as it is).
		failErrs = append(failErrs, res.err)
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

// launch starts every operation that is admitted now and fits its pool.
// The admitted operations are marked pending together and persisted in one
// atomic journal write before any of them starts. It returns only failed
// journal writes.
func (r *run) launch(ctx context.Context, ord fleetOrdering, inflight map[uint64]bool, busy map[pool]int, results chan<- result) error {
	var batch []journal.BackupExecutionJournalOperation
	marked := false
	for _, op := range r.journal.RunnableOperations() {
		if r.cfg.MaxSteps > 0 && len(r.executed)+len(inflight)+len(batch) >= r.cfg.MaxSteps {
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
				return err
			}
			marked = true
		}
		busy[p]++
		batch = append(batch, op)
		if p == poolSerial {
			break
		}
	}
	if marked {
		if err := r.store.writeExecution(r.journal); err != nil {
			return err
		}
	}
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
	return nil
}

// recordFailure records err as the failure of op and emits its finish.
func (r *run) recordFailure(op *journal.BackupExecutionJournalOperation, opErr error) error {
	r.noteFailedStop(op, opErr)
	r.executed = append(r.executed, executed(op, OutcomeFailed))
	at := r.cfg.marker()
	receipt := journal.FailedReceipt(r.journal, op, &at, opErr.Error())
	if err := r.journal.RecordOperationReceipt(receipt); err != nil {
		return fmt.Errorf("record failure of operation %d: %w", op.Sequence, err)
	}
	if err := r.store.writeExecution(r.journal); err != nil {
		return err
	}
	r.emitOperation(EventOperationFinished, op.Sequence, op.OperationID, op.Kind, op.TargetCanisterID, OutcomeFailed, opErr)
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
