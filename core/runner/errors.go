package runner

import (
	"errors"
	"fmt"

	"github.com/canic-backup/canic-backup/core/plan"
)

// ErrNoReadyOperation means the journal is not complete but no operation
// can run (0.35.1: NoReadyOperation).
var ErrNoReadyOperation = errors.New("backup execution has no operation ready to run")

// ErrArtifactExists is matched by the error finalize returns when an
// artifact's destination already exists and is not the verified artifact.
var ErrArtifactExists = errors.New("artifact path already exists")

// CommandFailedError is an Executor failure during an operation. Its text
// is 0.35.1's: "backup operation <seq> failed: <status>: <message>".
type CommandFailedError struct {
	Sequence    uint64
	OperationID string
	Kind        plan.BackupOperationKind
	Status      string
	Message     string
	// Err is the executor's error.
	Err error
}

func (e *CommandFailedError) Error() string {
	return fmt.Sprintf("backup operation %d failed: %s: %s", e.Sequence, e.Status, e.Message)
}

// Unwrap returns the executor's error.
func (e *CommandFailedError) Unwrap() error { return e.Err }

// commandFailed wraps an executor error for op.
func commandFailed(seq uint64, id string, kind plan.BackupOperationKind, err error) error {
	status, msg := commandParts(err)
	return &CommandFailedError{Sequence: seq, OperationID: id, Kind: kind, Status: status, Message: msg, Err: err}
}

func commandParts(err error) (string, string) {
	var uo *UnknownOutcomeError
	if errors.As(err, &uo) {
		return StatusOutcomeUnknown, uo.Error()
	}
	var ce *CommandError
	if errors.As(err, &ce) {
		return ce.Status, ce.Message
	}
	return "executor", err.Error()
}

// PreflightFailedError is an Executor failure during preflight; nothing was
// touched and the journal is unchanged.
type PreflightFailedError struct {
	Status  string
	Message string
	Err     error
}

func (e *PreflightFailedError) Error() string {
	return fmt.Sprintf("backup preflight failed: %s: %s", e.Status, e.Message)
}

// Unwrap returns the executor's error.
func (e *PreflightFailedError) Unwrap() error { return e.Err }

// FailedOperationError means a previous run left an operation failed and
// Config.RetryFailed was not set.
type FailedOperationError struct {
	Sequence    uint64
	OperationID string
	Reasons     []string
}

func (e *FailedOperationError) Error() string {
	return fmt.Sprintf("backup operation %d (%s) failed in an earlier run: %v; retry it explicitly (--retry-failed)",
		e.Sequence, e.OperationID, e.Reasons)
}

// OperationDataError is an operation that cannot run because the journals
// lack what it needs (0.35.1: MissingOperationTarget, MissingSnapshotId,
// MissingArtifactEntry).
type OperationDataError struct {
	Sequence uint64
	// Target is the operation's target canister ("" if none).
	Target string
	// Missing names what is missing: "target canister", "snapshot id",
	// "artifact journal entry".
	Missing string
}

func (e *OperationDataError) Error() string {
	if e.Target == "" {
		return fmt.Sprintf("backup operation %d has no %s", e.Sequence, e.Missing)
	}
	return fmt.Sprintf("backup operation %d has no %s for target %s", e.Sequence, e.Missing, e.Target)
}

// RestartError reports canisters a failed run could not restart; they stay
// stopped and the journal still records them as stopped.
type RestartError struct {
	CanisterIDs []string
	Err         error
}

func (e *RestartError) Error() string {
	return fmt.Sprintf("could not restart stopped canisters %v after the failure: %v", e.CanisterIDs, e.Err)
}

// Unwrap returns the first start error.
func (e *RestartError) Unwrap() error { return e.Err }
