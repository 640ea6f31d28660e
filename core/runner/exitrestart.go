package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/internal/killpoint"
)

// InterruptedReasonPrefix starts the failure reason a run records on the
// operation in flight (or the next one) when it ends without a failed
// operation but with canisters stopped: a cancelled context (Ctrl-C,
// SIGTERM, a lost lease), a failed journal write (a full disk) or a lost
// executor. The rest of the reason is the cause.
const InterruptedReasonPrefix = "interrupted: canisters this run stopped were restarted; retry to continue: "

// abortKey is the context key of WithAbort's channel.
type abortKey struct{}

// WithAbort returns ctx carrying abort: when abort is closed (a second
// Ctrl-C), the restart a run does on its way out is skipped or cut short.
// Without it the restart is bounded only by its own timeout
// (RestartGracePeriod).
func WithAbort(ctx context.Context, abort <-chan struct{}) context.Context {
	return context.WithValue(ctx, abortKey{}, abort)
}

// RestartGracePeriod bounds the restart a run does on its way out after a
// failure, a cancellation or a failed journal write.
const RestartGracePeriod = restartTimeout

// ErrRestartAborted is returned (joined) when the restart on the way out was
// cut short by the abort channel of WithAbort.
var ErrRestartAborted = errors.New("restart of stopped canisters skipped by a second interrupt")

// compensationContext is the context restarts run under: not cancelled with
// ctx, bounded by restartTimeout, and cancelled when WithAbort's channel is
// closed.
func compensationContext(ctx context.Context) (context.Context, context.CancelFunc) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restartTimeout)
	abort, _ := ctx.Value(abortKey{}).(<-chan struct{})
	if abort == nil {
		return cctx, cancel
	}
	select {
	case <-abort:
		cancel() // already aborted: nothing may start
		return cctx, cancel
	default:
	}
	go func() {
		select {
		case <-abort:
			cancel()
		case <-cctx.Done():
		}
	}()
	return cctx, cancel
}

// aborted reports whether WithAbort's channel of ctx is closed.
func aborted(ctx context.Context) bool {
	abort, _ := ctx.Value(abortKey{}).(<-chan struct{})
	if abort == nil {
		return false
	}
	select {
	case <-abort:
		return true
	default:
		return false
	}
}

// UnrecordedRestartError reports canisters the run restarted on its way out
// whose restart the journal could not record (its write failed): they are
// running, but the journal on disk still shows them stopped until `backup
// recover` records it.
type UnrecordedRestartError struct {
	CanisterIDs []string
	Err         error
}

func (e *UnrecordedRestartError) Error() string {
	return fmt.Sprintf("restarted canisters %v, but the journal could not record it: %v", e.CanisterIDs, e.Err)
}

// Unwrap returns the write error.
func (e *UnrecordedRestartError) Unwrap() error { return e.Err }

// restartOnExit is the last step of every run that ends with runErr: it
// starts every canister the (in-memory) journal records as stopped and not
// restarted, whatever ended the run (an operation's failure, a cancelled
// context, a failed journal write, a lost executor). Without a failed
// operation to carry the restart markers it first records the pending (or
// next) operation as failed with InterruptedReasonPrefix and the cause. A
// journal write that fails does not stop the restarts: the canisters are
// started and the error says the journal could not record it.
func (r *run) restartOnExit(ctx context.Context, runErr error) error {
	var tried *RestartError
	if r.cfg.NoRestartOnFailure || errors.As(runErr, &tried) {
		// The failure's own compensation already tried these canisters:
		// they stay recorded as stopped, for `backup recover`.
		return runErr
	}
	ids := LeftStopped(r.journal)
	if len(ids) == 0 {
		return runErr
	}
	if aborted(ctx) {
		return errors.Join(runErr, ErrRestartAborted)
	}
	var writeErr error
	failed := failedOperation(r.journal)
	if failed == nil {
		op, err := r.recordInterrupt(runErr)
		if op == nil {
			// Nothing to carry the markers: start them anyway.
			return errors.Join(runErr, err, r.startUnrecorded(ctx, ids))
		}
		writeErr = err
		failed = op
		runErr = &InterruptedError{Sequence: op.Sequence, Err: runErr}
	}
	restarted, err := r.restartCanisters(ctx, failed, ids)
	var re *RestartError
	switch {
	case err == nil:
	case errors.As(err, &re):
		writeErr = errors.Join(writeErr, err)
	default:
		// The markers could not be written.
		writeErr = errors.Join(writeErr, &UnrecordedRestartError{CanisterIDs: restarted, Err: err})
	}
	if writeErr != nil && aborted(ctx) {
		writeErr = errors.Join(writeErr, ErrRestartAborted)
	}
	return errors.Join(runErr, writeErr)
}

// InterruptedError reports a run that ended without a failed operation
// while canisters were stopped (a signal, a failed journal write, a lost
// executor): it recorded operation Sequence as failed (with
// InterruptedReasonPrefix) to carry the restart markers, so the run goes on
// with --retry-failed (which re-stops the canisters first).
type InterruptedError struct {
	Sequence uint64
	Err      error
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("backup interrupted at operation %d: %v", e.Sequence, e.Err)
}

// Unwrap returns what ended the run.
func (e *InterruptedError) Unwrap() error { return e.Err }

// recordInterrupt records the pending operation (or the next ready one) as
// failed with InterruptedReasonPrefix and cause, and persists the journal.
// The operation is returned even when the write fails (the in-memory
// journal holds the failure); nil means no operation could be recorded.
func (r *run) recordInterrupt(cause error) (*journal.BackupExecutionJournalOperation, error) {
	pending, err := r.failPending(InterruptedReasonPrefix+causeText(cause), "interruption")
	if err != nil {
		return nil, err
	}
	r.executed = append(r.executed, executed(pending, OutcomeFailed))
	return r.journal.Operation(pending.Sequence), r.store.writeExecution(r.journal)
}

// failPending records, in memory, the pending operation (or the next ready
// one, marked pending first) as failed with reason, and returns the
// operation as it was before; what names the record in an error.
func (r *run) failPending(reason, what string) (*journal.BackupExecutionJournalOperation, error) {
	var op *journal.BackupExecutionJournalOperation
	for i := range r.journal.Operations {
		if r.journal.Operations[i].State == journal.StatePending {
			op = &r.journal.Operations[i]
			break
		}
	}
	if op == nil {
		op = r.journal.NextReadyOperation()
		if op == nil {
			return nil, ErrNoReadyOperation
		}
		at := r.cfg.marker()
		if err := r.journal.MarkOperationPendingAt(op.Sequence, &at); err != nil {
			return nil, err
		}
	}
	seq := op.Sequence
	pending := r.journal.Operation(seq).Clone()
	at := r.cfg.marker()
	if err := r.journal.RecordOperationReceipt(journal.FailedReceipt(r.journal, &pending, &at, reason)); err != nil {
		return nil, fmt.Errorf("record %s of operation %d: %w", what, seq, err)
	}
	return &pending, nil
}

// causeText is the cause of an interruption as one short line.
func causeText(err error) string {
	switch {
	case err == nil:
		return "unknown"
	case errors.Is(err, context.Canceled):
		return "cancelled (interrupt, terminate signal or lost lease)"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline exceeded"
	}
	s := err.Error()
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// startUnrecorded starts ids without a journal to record it in.
func (r *run) startUnrecorded(ctx context.Context, ids []string) error {
	started, stuck, startErr := r.startAll(ctx, ids)
	var err error
	if len(started) > 0 {
		err = &UnrecordedRestartError{CanisterIDs: started, Err: errors.New("no operation to record the restart on")}
	}
	if len(stuck) > 0 {
		err = errors.Join(err, &RestartError{CanisterIDs: stuck, Err: startErr})
	}
	return err
}

// hitStopsCompleted passes killpoint.RunnerStopsCompleted when op, whose
// receipt was just persisted, completed the plan's last stop.
func (r *run) hitStopsCompleted(op *journal.BackupExecutionJournalOperation) {
	if op.Kind != plan.OpStop || !killpoint.Enabled() {
		return
	}
	for _, o := range r.journal.Operations {
		if o.Kind == plan.OpStop && o.State != journal.StateCompleted {
			return
		}
	}
	killpoint.Hit(killpoint.RunnerStopsCompleted)
}
