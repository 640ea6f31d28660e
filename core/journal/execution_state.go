package journal

import "github.com/canic-backup/canic-backup/core/wire"

// OperationState is the state of one execution-journal operation.
type OperationState string

// Operation states (kebab-case on the wire).
const (
	StateReady     OperationState = "ready"
	StatePending   OperationState = "pending"
	StateBlocked   OperationState = "blocked"
	StateCompleted OperationState = "completed"
	StateFailed    OperationState = "failed"
	StateSkipped   OperationState = "skipped"
)

var operationStates = []string{"ready", "pending", "blocked", "completed", "failed", "skipped"}

// MarshalText implements encoding.TextMarshaler.
func (s OperationState) MarshalText() ([]byte, error) {
	return wire.VariantText("BackupExecutionOperationState", string(s), operationStates...)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *OperationState) UnmarshalText(text []byte) error {
	v, err := wire.Variant("BackupExecutionOperationState", string(text), operationStates...)
	if err != nil {
		return err
	}
	*s = OperationState(v)
	return nil
}

// DebugName is the Rust Debug (PascalCase) name used in error texts, e.g. "Ready".
func (s OperationState) DebugName() string {
	if s == "" {
		return `""`
	}
	for _, v := range operationStates {
		if v == string(s) {
			return string(s[0]-'a'+'A') + string(s[1:])
		}
	}
	return `"` + string(s) + `"`
}

// needsReason reports whether the state must carry blocking reasons.
func (s OperationState) needsReason() bool { return s == StateBlocked || s == StateFailed }

// Done reports whether the state is final for completion purposes
// (completed or skipped).
func (s OperationState) Done() bool { return s == StateCompleted || s == StateSkipped }

// Runnable reports whether an operation in this state can be (re)started:
// ready, pending (left by a crash) or failed.
func (s OperationState) Runnable() bool {
	return s == StateReady || s == StatePending || s == StateFailed
}

// ReceiptOutcome is the outcome recorded by an operation receipt.
type ReceiptOutcome string

// Receipt outcomes (kebab-case on the wire).
const (
	OutcomeCompleted ReceiptOutcome = "completed"
	OutcomeFailed    ReceiptOutcome = "failed"
	OutcomeSkipped   ReceiptOutcome = "skipped"
)

var receiptOutcomes = []string{"completed", "failed", "skipped"}

// MarshalText implements encoding.TextMarshaler.
func (o ReceiptOutcome) MarshalText() ([]byte, error) {
	return wire.VariantText("BackupExecutionOperationReceiptOutcome", string(o), receiptOutcomes...)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (o *ReceiptOutcome) UnmarshalText(text []byte) error {
	v, err := wire.Variant("BackupExecutionOperationReceiptOutcome", string(text), receiptOutcomes...)
	if err != nil {
		return err
	}
	*o = ReceiptOutcome(v)
	return nil
}

// state returns the operation state a receipt with this outcome produces.
func (o ReceiptOutcome) state() OperationState {
	switch o {
	case OutcomeCompleted:
		return StateCompleted
	case OutcomeFailed:
		return StateFailed
	default:
		return StateSkipped
	}
}
