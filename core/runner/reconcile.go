package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/layout"
)

// StatusOutcomeUnknown is the CommandError status of a call whose outcome
// is unknown (the plugin protocol's "unknown" code): it was, or may have
// been, delivered and no answer says what it did. The runner reconciles
// such an outcome from the canister's state before recording anything.
const StatusOutcomeUnknown = "unknown"

// StatusReader is an Executor that can also read a canister's run status
// ("running", "stopping" or "stopped"). With it, a stop or start whose
// outcome is unknown is settled from the canister's status instead of being
// recorded as a failure.
type StatusReader interface {
	// CanisterRunStatus returns canisterID's run status.
	CanisterRunStatus(ctx context.Context, canisterID string) (string, error)
}

// outcomeUnknown reports whether err is an executor failure whose outcome
// is unknown.
func outcomeUnknown(err error) bool {
	var ce *CommandError
	return errors.As(err, &ce) && ce.Status == StatusOutcomeUnknown
}

// UnknownOutcomeError is a call whose outcome stayed unknown after
// reconciliation (the canister's state could not be read, or says the call
// did not take effect yet). Its text says so; the journal records it as
// the operation's failure reason with status "unknown", never as a
// definite failure of the IC.
type UnknownOutcomeError struct {
	// CanisterID is the call's target.
	CanisterID string
	// Call names the call, e.g. "stop_canister".
	Call string
	// Observed is what reconciliation read ("stopping", "no new snapshot"),
	// empty when it could not read anything.
	Observed string
	// Err is the executor's error; ReadErr the reconciliation's own.
	Err, ReadErr error
}

// Error names the call, the canister and what reconciliation saw.
func (e *UnknownOutcomeError) Error() string {
	s := fmt.Sprintf("%s of %s: outcome unknown", e.Call, e.CanisterID)
	switch {
	case e.ReadErr != nil:
		s += fmt.Sprintf(" and the canister's state could not be read (%v)", e.ReadErr)
	case e.Observed != "":
		s += "; reconciled from the canister's state: " + e.Observed
	}
	_, msg := commandParts(e.Err)
	return s + ": " + msg
}

// Unwrap returns the executor's error (a *CommandError with status
// "unknown").
func (e *UnknownOutcomeError) Unwrap() error { return e.Err }

// reconcileRunStatus settles a stop or start of id whose outcome is
// unknown: when the canister's status is want the call took effect and
// nil is returned; otherwise an *UnknownOutcomeError. Other errors are
// returned as they are.
func (r *run) reconcileRunStatus(ctx context.Context, id, call, want string, err error) error {
	if err == nil || !outcomeUnknown(err) {
		return err
	}
	sr, ok := r.exec.(StatusReader)
	if !ok {
		return &UnknownOutcomeError{CanisterID: id, Call: call, Err: err}
	}
	st, rerr := sr.CanisterRunStatus(ctx, id)
	if rerr != nil {
		return &UnknownOutcomeError{CanisterID: id, Call: call, Err: err, ReadErr: rerr}
	}
	if st == want {
		return nil
	}
	return &UnknownOutcomeError{CanisterID: id, Call: call, Observed: "canister is " + st, Err: err}
}

// reconcileSnapshot settles a take_canister_snapshot of id whose outcome
// is unknown: the one snapshot listed now that was not in the intent
// recorded before the take is the one taken. Other errors are returned as
// they are.
func (r *run) reconcileSnapshot(ctx context.Context, id string, err error) (string, error) {
	if !outcomeUnknown(err) {
		return "", err
	}
	lister, ok := r.exec.(SnapshotLister)
	if !ok {
		return "", &UnknownOutcomeError{CanisterID: id, Call: "take_canister_snapshot", Err: err}
	}
	var intent snapshotIntent
	if rerr := layout.ReadJSON(r.store.path(intentName(id)), &intent); rerr != nil {
		if errors.Is(rerr, fs.ErrNotExist) {
			rerr = errors.New("no snapshot intent was recorded")
		}
		return "", &UnknownOutcomeError{CanisterID: id, Call: "take_canister_snapshot", Err: err, ReadErr: rerr}
	}
	now, lerr := lister.ListSnapshots(ctx, id)
	if lerr != nil {
		return "", &UnknownOutcomeError{CanisterID: id, Call: "take_canister_snapshot", Err: err, ReadErr: lerr}
	}
	if found := oneNew(intent.Before, now); found != "" {
		return found, nil
	}
	return "", &UnknownOutcomeError{CanisterID: id, Call: "take_canister_snapshot", Observed: "no new snapshot", Err: err}
}

// stopAttemptError is a failed stop_canister, carrying when it was
// requested: the canister may be stopping or stopped although the stop
// failed (IC0206 leaves it stopping), so its downtime window opens then.
type stopAttemptError struct {
	began time.Time
	err   error
}

func (e *stopAttemptError) Error() string { return e.err.Error() }
func (e *stopAttemptError) Unwrap() error { return e.err }

// noteFailedStop opens the downtime window of a failed stop (run goroutine
// only): the restart that follows closes it, so the downtime a timed-out
// stop caused is recorded like any other.
func (r *run) noteFailedStop(op *journal.BackupExecutionJournalOperation, opErr error) {
	var sa *stopAttemptError
	if !r.cfg.RecordDowntime || op.TargetCanisterID == nil || !errors.As(opErr, &sa) {
		return
	}
	r.downtime.stopRequested(*op.TargetCanisterID, sa.began)
	_ = r.store.writeJSON(DowntimeFile, r.downtime)
}
