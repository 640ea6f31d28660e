package journal

import "fmt"

// ExecutionErrorCode identifies one kind of execution-journal error. Each
// code is itself an error, so callers test with
// errors.Is(err, journal.ErrOutOfOrderOperationTransition).
type ExecutionErrorCode int

// Execution-journal error codes (0.35.1 BackupExecutionJournalError variants,
// plus ErrInvalidValue and ErrOperationNotRunnable for states 0.35.1's type
// system ruled out).
const (
	ErrInvalidPlan ExecutionErrorCode = iota + 1
	ErrUnsupportedVersion
	ErrMissingField
	ErrDuplicateSequence
	ErrMissingSequence
	ErrAcceptedPreflightMissingID
	ErrPreflightAlreadyAccepted
	ErrPreflightPlanMismatch
	ErrMutationReadyBeforePreflight
	ErrMutationBeforePreflightAccepted
	ErrOperationMissingReason
	ErrUnblockedOperationHasReasons
	ErrOperationNotFound
	ErrInvalidOperationTransition
	ErrOutOfOrderOperationTransition
	ErrNoTransitionableOperation
	ErrOperationNotFailed
	ErrReceiptOperationNotFound
	ErrReceiptOperationMismatch
	ErrReceiptJournalMismatch
	ErrReceiptPreflightMismatch
	ErrReceiptWithoutPendingOperation
	// ErrInvalidValue: an enum field holds a value outside its variants
	// (only possible for journals built in Go, never for decoded ones).
	ErrInvalidValue
)

// Error returns the code's name.
func (c ExecutionErrorCode) Error() string {
	switch c {
	case ErrInvalidPlan:
		return "execution journal: invalid plan"
	case ErrUnsupportedVersion:
		return "execution journal: unsupported version"
	case ErrMissingField:
		return "execution journal: missing field"
	case ErrDuplicateSequence:
		return "execution journal: duplicate sequence"
	case ErrMissingSequence:
		return "execution journal: missing sequence"
	case ErrAcceptedPreflightMissingID:
		return "execution journal: accepted preflight missing id"
	case ErrPreflightAlreadyAccepted:
		return "execution journal: preflight already accepted"
	case ErrPreflightPlanMismatch:
		return "execution journal: preflight plan mismatch"
	case ErrMutationReadyBeforePreflight:
		return "execution journal: mutation ready before preflight"
	case ErrMutationBeforePreflightAccepted:
		return "execution journal: mutation before preflight accepted"
	case ErrOperationMissingReason:
		return "execution journal: operation missing reason"
	case ErrUnblockedOperationHasReasons:
		return "execution journal: unblocked operation has reasons"
	case ErrOperationNotFound:
		return "execution journal: operation not found"
	case ErrInvalidOperationTransition:
		return "execution journal: invalid operation transition"
	case ErrOutOfOrderOperationTransition:
		return "execution journal: out-of-order operation transition"
	case ErrNoTransitionableOperation:
		return "execution journal: no transitionable operation"
	case ErrOperationNotFailed:
		return "execution journal: operation not failed"
	case ErrReceiptOperationNotFound:
		return "execution journal: receipt operation not found"
	case ErrReceiptOperationMismatch:
		return "execution journal: receipt operation mismatch"
	case ErrReceiptJournalMismatch:
		return "execution journal: receipt journal mismatch"
	case ErrReceiptPreflightMismatch:
		return "execution journal: receipt preflight mismatch"
	case ErrReceiptWithoutPendingOperation:
		return "execution journal: receipt without pending operation"
	case ErrInvalidValue:
		return "execution journal: invalid value"
	}
	return fmt.Sprintf("execution journal error %d", int(c))
}

// ExecutionJournalError is an execution-journal validation or transition
// failure. Its message is 0.35.1's Display text; only the fields the code
// uses are set.
type ExecutionJournalError struct {
	// Code says which rule failed.
	Code ExecutionErrorCode
	// Field is the missing/invalid field, e.g. "operation_receipts[].snapshot_id".
	Field string
	// Value is the rejected value for ErrInvalidValue.
	Value string
	// Version is the unsupported journal version.
	Version uint16
	// Sequence is the operation concerned.
	Sequence uint64
	// Requested and Next are the sequences of an out-of-order transition.
	Requested, Next uint64
	// From and To are the states of a rejected transition.
	From, To OperationState
	// Existing and Attempted are preflight ids; Expected and Actual plan ids.
	Existing, Attempted, Expected, Actual string
	// Err is the plan validation error behind ErrInvalidPlan.
	Err error
}

// Error renders 0.35.1's Display text.
func (e *ExecutionJournalError) Error() string {
	switch e.Code {
	case ErrInvalidPlan:
		return fmt.Sprintf("invalid backup plan for execution journal: %v", e.Err)
	case ErrUnsupportedVersion:
		return fmt.Sprintf("unsupported backup execution journal version %d", e.Version)
	case ErrMissingField:
		return fmt.Sprintf("backup execution journal field %s is required", e.Field)
	case ErrDuplicateSequence:
		return fmt.Sprintf("backup execution journal has duplicate operation sequence %d", e.Sequence)
	case ErrMissingSequence:
		return fmt.Sprintf("backup execution journal is missing operation sequence %d", e.Sequence)
	case ErrAcceptedPreflightMissingID:
		return "accepted preflight is missing preflight_id"
	case ErrPreflightAlreadyAccepted:
		return fmt.Sprintf("preflight already accepted as %s, cannot accept %s", e.Existing, e.Attempted)
	case ErrPreflightPlanMismatch:
		return fmt.Sprintf("preflight receipt plan id %s does not match execution journal plan %s", e.Actual, e.Expected)
	case ErrMutationReadyBeforePreflight:
		return fmt.Sprintf("mutating operation %d is ready before preflight acceptance", e.Sequence)
	case ErrMutationBeforePreflightAccepted:
		return fmt.Sprintf("mutating operation %d cannot run before preflight acceptance", e.Sequence)
	case ErrOperationMissingReason:
		return fmt.Sprintf("operation %d is missing a blocking or failure reason", e.Sequence)
	case ErrUnblockedOperationHasReasons:
		return fmt.Sprintf("operation %d cannot have blocking reasons in its current state", e.Sequence)
	case ErrOperationNotFound:
		return fmt.Sprintf("operation %d was not found", e.Sequence)
	case ErrInvalidOperationTransition:
		return fmt.Sprintf("operation %d cannot transition from %s to %s", e.Sequence, e.From.DebugName(), e.To.DebugName())
	case ErrOutOfOrderOperationTransition:
		return fmt.Sprintf("operation %d cannot advance before operation %d", e.Requested, e.Next)
	case ErrNoTransitionableOperation:
		return "no operation can be advanced"
	case ErrOperationNotFailed:
		return fmt.Sprintf("operation %d is not failed", e.Sequence)
	case ErrReceiptOperationNotFound:
		return fmt.Sprintf("operation receipt references missing operation %d", e.Sequence)
	case ErrReceiptOperationMismatch:
		return fmt.Sprintf("operation receipt does not match operation %d", e.Sequence)
	case ErrReceiptJournalMismatch:
		return fmt.Sprintf("operation receipt does not match journal %d", e.Sequence)
	case ErrReceiptPreflightMismatch:
		return fmt.Sprintf("operation receipt does not match accepted preflight %d", e.Sequence)
	case ErrReceiptWithoutPendingOperation:
		return fmt.Sprintf("operation receipt %d has no pending operation", e.Sequence)
	case ErrInvalidValue:
		return fmt.Sprintf("backup execution journal field %s has invalid value %q", e.Field, e.Value)
	}
	return e.Code.Error()
}

// Is makes errors.Is(err, code) true for the error's code.
func (e *ExecutionJournalError) Is(target error) bool {
	c, ok := target.(ExecutionErrorCode)
	return ok && c == e.Code
}

// Unwrap returns the plan validation error behind ErrInvalidPlan.
func (e *ExecutionJournalError) Unwrap() error { return e.Err }

func missingField(field string) error {
	return &ExecutionJournalError{Code: ErrMissingField, Field: field}
}

func requireNonempty(field, v string) error {
	if isBlank(v) {
		return missingField(field)
	}
	return nil
}

func optionalNonempty(field string, v *string) error {
	if v != nil && isBlank(*v) {
		return missingField(field)
	}
	return nil
}
