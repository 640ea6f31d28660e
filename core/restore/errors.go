package restore

import "fmt"

// Code names a restore rule or failure. A Code is itself an error so callers
// can test errors.Is(err, restore.CodeDuplicateMappingTarget).
type Code string

// Error returns the code's name.
func (c Code) Error() string { return string(c) }

// Codes of planning, apply and journal failures (0.35.1's error variants plus
// the ones canic-backup adds).
const (
	CodeInvalidPrincipal          Code = "InvalidPrincipal"
	CodeDuplicateMappingSource    Code = "DuplicateMappingSource"
	CodeDuplicateMappingTarget    Code = "DuplicateMappingTarget"
	CodeUnknownMappingSource      Code = "UnknownMappingSource"
	CodeMissingMappingSource      Code = "MissingMappingSource"
	CodeFixedIdentityRemap        Code = "FixedIdentityRemap"
	CodeDuplicateTarget           Code = "DuplicateTargetCanister"
	CodeOrderCycle                Code = "RestoreOrderCycle"
	CodeArtifactPathEscapesBackup Code = "ArtifactPathEscapesBackup"
	CodeArtifactMissing           Code = "ArtifactMissing"
	CodeArtifactChecksum          Code = "ArtifactChecksum"
	CodeUnsupportedVersion        Code = "UnsupportedVersion"
	CodeMissingField              Code = "MissingField"
	CodeCountMismatch             Code = "CountMismatch"
	CodeReadyWithBlocked          Code = "ReadyJournalHasBlockedState"
	CodeDuplicateSequence         Code = "DuplicateSequence"
	CodeMissingSequence           Code = "MissingSequence"
	CodeOperationMissingField     Code = "OperationMissingField"
	CodeUnsupportedVerification   Code = "UnsupportedVerificationKind"
	CodeBlockingReasonRequired    Code = "BlockingReasonRequired"
	CodeFailureReasonRequired     Code = "FailureReasonRequired"
	CodeUnblockedHasReasons       Code = "UnblockedOperationHasReasons"
	CodeReceiptMissingOperation   Code = "OperationReceiptMissingOperation"
	CodeReceiptMismatch           Code = "OperationReceiptMismatch"
	CodeOperationNotFound         Code = "OperationNotFound"
	CodeInvalidTransition         Code = "InvalidOperationTransition"
	CodeOutOfOrder                Code = "OutOfOrderOperationTransition"
	CodeNoTransitionableOperation Code = "NoTransitionableOperation"
	CodeNoPendingOperation        Code = "NoPendingOperation"
	CodeNoFailedOperation         Code = "NoFailedOperation"
	CodeJournalLocked             Code = "RestoreApplyJournalLocked"
	CodeNotReady                  Code = "RestoreNotReady"
	CodeApplyPending              Code = "RestoreApplyPending"
	CodeApplyFailed               Code = "RestoreApplyFailed"
	CodeApplyNotReady             Code = "RestoreApplyNotReady"
	CodeApplyIncomplete           Code = "RestoreApplyIncomplete"
	CodeNeedsAttention            Code = "RestoreApplyReportNeedsAttention"
	CodeCommandUnavailable        Code = "RestoreApplyCommandUnavailable"
	CodeClaimSequenceMismatch     Code = "RestoreRunClaimSequenceMismatch"
	CodeCommandFailed             Code = "RestoreRunCommandFailed"
	CodeExecutorOutcomeUnknown    Code = "ExecutorOutcomeUnknown"
	CodeNoExecutor                Code = "NoExecutor"
	CodeExpectedModuleHashUnknown Code = "ExpectedModuleHashUnknown"
	CodeInvalidRestoreReference   Code = "InvalidRestoreReference"
	CodeUnsupportedRunMode        Code = "UnsupportedRunMode"
	CodeInvalidChecksum           Code = "InvalidChecksum"
	CodeArtifactBinding           Code = "ArtifactNotBoundToMember"
	CodeUnsafeControlDir          Code = "UnsafeControlDirectory"
	CodePlanManifestMismatch      Code = "PlanManifestMismatch"
)

// Error is a restore failure: Code for programs, the exact text of 0.35.1
// (or of canic-backup's added rule) for people, and the cause if any.
type Error struct {
	// Code names the rule.
	Code Code
	// Sequence is the journal operation concerned, -1 when none.
	Sequence int
	// Field names the offending field, when there is one.
	Field string
	// Value is the offending value, when there is one.
	Value string
	text  string
	err   error
}

// Error returns the message.
func (e *Error) Error() string { return e.text }

// Unwrap returns the cause (for example a checksum or I/O error).
func (e *Error) Unwrap() error { return e.err }

// Is matches the error's Code.
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && c == e.Code
}

func newError(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Sequence: -1, text: fmt.Sprintf(format, args...)}
}

func (e *Error) withSeq(seq int) *Error       { e.Sequence = seq; return e }
func (e *Error) withField(f, v string) *Error { e.Field, e.Value = f, v; return e }
func (e *Error) wrapping(err error) *Error    { e.err = err; return e }
func debugOptUsize(v *int) string {
	if v == nil {
		return "None"
	}
	return fmt.Sprintf("Some(%d)", *v)
}
