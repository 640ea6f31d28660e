package restore

import "fmt"

// OperationKind is RestoreApplyOperationKind.
type OperationKind string

// Operation kinds in 0.35.1's declaration order.
const (
	OpStopCanister   OperationKind = "stop-canister"
	OpStartCanister  OperationKind = "start-canister"
	OpUploadSnapshot OperationKind = "upload-snapshot"
	OpLoadSnapshot   OperationKind = "load-snapshot"
	OpVerifyMember   OperationKind = "verify-member"
	OpVerifyFleet    OperationKind = "verify-fleet"
)

var kindRustNames = map[OperationKind]string{
	OpStopCanister: "StopCanister", OpStartCanister: "StartCanister",
	OpUploadSnapshot: "UploadSnapshot", OpLoadSnapshot: "LoadSnapshot",
	OpVerifyMember: "VerifyMember", OpVerifyFleet: "VerifyFleet",
}

// RustName is the variant's Debug name (used inside 0.35.1's messages).
func (k OperationKind) RustName() string { return kindRustNames[k] }

// MarshalText implements encoding.TextMarshaler.
func (k OperationKind) MarshalText() ([]byte, error) {
	return variantText("RestoreApplyOperationKind", string(k), kindRustNames)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *OperationKind) UnmarshalText(b []byte) error {
	if _, err := variantText("RestoreApplyOperationKind", string(b), kindRustNames); err != nil {
		return err
	}
	*k = OperationKind(b)
	return nil
}

// OperationState is RestoreApplyOperationState.
type OperationState string

// Operation states.
const (
	StatePending   OperationState = "pending"
	StateReady     OperationState = "ready"
	StateBlocked   OperationState = "blocked"
	StateCompleted OperationState = "completed"
	StateFailed    OperationState = "failed"
)

var stateRustNames = map[OperationState]string{
	StatePending: "Pending", StateReady: "Ready", StateBlocked: "Blocked",
	StateCompleted: "Completed", StateFailed: "Failed",
}

// RustName is the variant's Debug name.
func (s OperationState) RustName() string { return stateRustNames[s] }

// MarshalText implements encoding.TextMarshaler.
func (s OperationState) MarshalText() ([]byte, error) {
	return variantText("RestoreApplyOperationState", string(s), stateRustNames)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *OperationState) UnmarshalText(b []byte) error {
	if _, err := variantText("RestoreApplyOperationState", string(b), stateRustNames); err != nil {
		return err
	}
	*s = OperationState(b)
	return nil
}

// ReceiptOutcome is RestoreApplyOperationReceiptOutcome.
type ReceiptOutcome string

// Receipt outcomes; the zero value decodes a missing key as completed.
const (
	OutcomeCommandCompleted ReceiptOutcome = "command-completed"
	OutcomeCommandFailed    ReceiptOutcome = "command-failed"
)

var outcomeNames = map[ReceiptOutcome]string{OutcomeCommandCompleted: "CommandCompleted", OutcomeCommandFailed: "CommandFailed"}

// MarshalText implements encoding.TextMarshaler (the zero value is written
// as "command-completed", serde's default).
func (o ReceiptOutcome) MarshalText() ([]byte, error) {
	if o == "" {
		o = OutcomeCommandCompleted
	}
	return variantText("RestoreApplyOperationReceiptOutcome", string(o), outcomeNames)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (o *ReceiptOutcome) UnmarshalText(b []byte) error {
	if _, err := variantText("RestoreApplyOperationReceiptOutcome", string(b), outcomeNames); err != nil {
		return err
	}
	*o = ReceiptOutcome(b)
	return nil
}

// ReportOutcome is RestoreApplyReportOutcome.
type ReportOutcome string

// Report outcomes.
const (
	ReportEmpty      ReportOutcome = "empty"
	ReportComplete   ReportOutcome = "complete"
	ReportFailed     ReportOutcome = "failed"
	ReportBlocked    ReportOutcome = "blocked"
	ReportPending    ReportOutcome = "pending"
	ReportInProgress ReportOutcome = "in-progress"
)

var reportNames = map[ReportOutcome]string{
	ReportEmpty: "Empty", ReportComplete: "Complete", ReportFailed: "Failed",
	ReportBlocked: "Blocked", ReportPending: "Pending", ReportInProgress: "InProgress",
}

// RustName is the variant's Debug name.
func (o ReportOutcome) RustName() string { return reportNames[o] }

// MarshalText implements encoding.TextMarshaler.
func (o ReportOutcome) MarshalText() ([]byte, error) {
	return variantText("RestoreApplyReportOutcome", string(o), reportNames)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (o *ReportOutcome) UnmarshalText(b []byte) error {
	if _, err := variantText("RestoreApplyReportOutcome", string(b), reportNames); err != nil {
		return err
	}
	*o = ReportOutcome(b)
	return nil
}

func variantText[K ~string](enum, v string, names map[K]string) ([]byte, error) {
	if _, ok := names[K(v)]; !ok {
		return nil, fmt.Errorf("unknown variant `%s` of %s", v, enum)
	}
	return []byte(v), nil
}
