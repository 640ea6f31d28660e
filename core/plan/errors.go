package plan

import (
	"errors"
	"fmt"
)

// Sentinel kinds of plan errors; every *Error unwraps to exactly one of
// them, so callers test with errors.Is(err, plan.ErrDuplicateTarget) and read
// details with errors.As(err, &*plan.Error).
var (
	ErrEmptyField                          = errors.New("empty field")
	ErrInvalidPrincipal                    = errors.New("invalid principal")
	ErrInvalidTopologyHash                 = errors.New("invalid topology hash")
	ErrInvalidTimestamp                    = errors.New("invalid timestamp marker")
	ErrEmptyTargets                        = errors.New("backup plan has no targets")
	ErrEmptyPhases                         = errors.New("backup plan has no phases")
	ErrDuplicateTarget                     = errors.New("duplicate backup target")
	ErrDuplicateOperationID                = errors.New("duplicate backup operation id")
	ErrOperationOrderMismatch              = errors.New("operation order mismatch")
	ErrRootIncludedWithoutMaintenance      = errors.New("normal backup scope must not include root")
	ErrMaintenanceRootExcludesRoot         = errors.New("maintenance root scope must include root")
	ErrSelectedRootNotInTargets            = errors.New("selected root not in targets")
	ErrNonRootFleetHasSelectedRoot         = errors.New("non-root-fleet scope must not declare a selected subtree root")
	ErrUnprovenControlAuthority            = errors.New("unproven control authority")
	ErrUnprovenSnapshotReadAuthority       = errors.New("unproven snapshot read authority")
	ErrMissingRootController               = errors.New("missing root controller")
	ErrMissingControlAuthorityReceipt      = errors.New("missing control authority receipt")
	ErrMissingSnapshotReadAuthorityReceipt = errors.New("missing snapshot read authority receipt")
	ErrUnknownAuthorityReceiptTarget       = errors.New("authority receipt targets unknown canister")
	ErrDuplicateAuthorityReceipt           = errors.New("duplicate authority receipt")
	ErrAuthorityReceiptPlanMismatch        = errors.New("authority receipt plan mismatch")
	ErrAuthorityReceiptPreflightMismatch   = errors.New("authority receipt preflight mismatch")
	ErrPreflightReceiptPlanMismatch        = errors.New("preflight receipt plan mismatch")
	ErrPreflightReceiptIDMismatch          = errors.New("preflight receipt id mismatch")
	ErrPreflightReceiptNotYetValid         = errors.New("preflight receipt not yet valid")
	ErrPreflightReceiptExpired             = errors.New("preflight receipt expired")
	ErrPreflightReceiptInvalidWindow       = errors.New("preflight receipt invalid window")
	ErrTopologyPreflightHashMismatch       = errors.New("topology preflight hash drifted")
	ErrTopologyPreflightTargetsMismatch    = errors.New("topology preflight targets do not match selected plan targets")
	ErrQuiescencePolicyMismatch            = errors.New("quiescence preflight policy does not match plan")
	ErrQuiescencePreflightRejected         = errors.New("quiescence preflight was not accepted")
	ErrQuiescencePreflightTargetsMismatch  = errors.New("quiescence preflight targets do not match selected plan targets")
	ErrUnknownOperationTarget              = errors.New("operation targets unknown canister")
	ErrMissingPreflight                    = errors.New("required preflight operation missing")
	ErrMutationBeforePreflight             = errors.New("mutating operation before preflights")
)

// Error is a plan validation, build or preflight failure. Its text is
// 0.35.1's BackupPlanError Display string; only the fields relevant to Kind
// are set.
type Error struct {
	// Kind is one of the Err* sentinels.
	Kind error
	// Field is the document field at fault (EmptyField, InvalidPrincipal,
	// InvalidTopologyHash, InvalidTimestamp) or the missing preflight label.
	Field string
	// Value is the offending value, or the canister id the error is about.
	Value string
	// OperationID names the phase at fault.
	OperationID string
	// Order and ExpectedOrder are set for ErrOperationOrderMismatch.
	Order, ExpectedOrder uint32
	// Expected and Actual are set for the *Mismatch kinds.
	Expected, Actual string
	// PreflightID, ValidatedAt, ExpiresAt and AsOf are set for receipt windows.
	PreflightID, ValidatedAt, ExpiresAt, AsOf string

	msg string
}

// Error returns 0.35.1's Display text.
func (e *Error) Error() string { return e.msg }

// Unwrap returns the sentinel kind.
func (e *Error) Unwrap() error { return e.Kind }

func errEmptyField(field string) error {
	return &Error{Kind: ErrEmptyField, Field: field, msg: fmt.Sprintf("field %s must not be empty", field)}
}

func errInvalidPrincipal(field, value string) error {
	return &Error{Kind: ErrInvalidPrincipal, Field: field, Value: value,
		msg: fmt.Sprintf("field %s must be a valid principal: %s", field, value)}
}

func errInvalidTopologyHash(field, value string) error {
	return &Error{Kind: ErrInvalidTopologyHash, Field: field, Value: value,
		msg: fmt.Sprintf("field %s must be a 64-character hex topology hash: %s", field, value)}
}

func errInvalidTimestamp(field, value string) error {
	return &Error{Kind: ErrInvalidTimestamp, Field: field, Value: value,
		msg: fmt.Sprintf("field %s must be a unix timestamp marker: %s", field, value)}
}

// errCanister builds the variants that carry one canister id.
func errCanister(kind error, format, id string) error {
	return &Error{Kind: kind, Value: id, msg: fmt.Sprintf(format, id)}
}

func errSimple(kind error) error { return &Error{Kind: kind, msg: kind.Error()} }

func errMismatch(kind error, format, expected, actual string) error {
	return &Error{Kind: kind, Expected: expected, Actual: actual,
		msg: fmt.Sprintf(format, actual, expected)}
}

const (
	fmtDuplicateTarget        = "duplicate backup target %s"
	fmtDuplicateOperationID   = "duplicate backup operation id %s"
	fmtSelectedRootNotTargets = "selected scope root %s is not present in plan targets"
	fmtUnprovenControl        = "target %s has no proven control authority"
	fmtUnprovenRead           = "target %s has no proven snapshot read authority"
	fmtMissingRootController  = "target %s must be controllable by root for this plan"
	fmtMissingControlReceipt  = "target %s has no control authority receipt"
	fmtMissingReadReceipt     = "target %s has no snapshot read authority receipt"
	fmtUnknownReceiptTarget   = "authority receipt targets unknown canister %s"
	fmtDuplicateReceipt       = "duplicate authority receipt for target %s"
	fmtAuthorityPlanMismatch  = "authority receipt plan id %s does not match plan %s"
	fmtAuthorityPreflightMism = "authority receipt preflight id %s does not match preflight %s"
	fmtPreflightPlanMismatch  = "preflight receipt plan id %s does not match plan %s"
	fmtPreflightIDMismatch    = "preflight receipt id %s does not match preflight %s"
)

func errOrderMismatch(operationID string, order, expected uint32) error {
	return &Error{Kind: ErrOperationOrderMismatch, OperationID: operationID, Order: order, ExpectedOrder: expected,
		msg: fmt.Sprintf("operation %s has order %d, expected %d", operationID, order, expected)}
}

func errUnknownOperationTarget(operationID, target string) error {
	return &Error{Kind: ErrUnknownOperationTarget, OperationID: operationID, Value: target,
		msg: fmt.Sprintf("operation %s targets unknown canister %s", operationID, target)}
}

func errMissingPreflight(label string) error {
	return &Error{Kind: ErrMissingPreflight, Field: label,
		msg: fmt.Sprintf("required preflight operation %s is missing", label)}
}

func errMutationBeforePreflight(operationID string) error {
	return &Error{Kind: ErrMutationBeforePreflight, OperationID: operationID,
		msg: fmt.Sprintf("mutating operation %s appears before required preflights", operationID)}
}

func errTopologyHashMismatch(expected, actual string) error {
	return &Error{Kind: ErrTopologyPreflightHashMismatch, Expected: expected, Actual: actual,
		msg: fmt.Sprintf("topology preflight hash drifted from %s to %s", expected, actual)}
}

func errNotYetValid(preflightID, validatedAt, asOf string) error {
	return &Error{Kind: ErrPreflightReceiptNotYetValid, PreflightID: preflightID, ValidatedAt: validatedAt, AsOf: asOf,
		msg: fmt.Sprintf("preflight receipt %s is not valid yet at %s; validated at %s", preflightID, asOf, validatedAt)}
}

func errExpired(preflightID, expiresAt, asOf string) error {
	return &Error{Kind: ErrPreflightReceiptExpired, PreflightID: preflightID, ExpiresAt: expiresAt, AsOf: asOf,
		msg: fmt.Sprintf("preflight receipt %s expired at %s; checked at %s", preflightID, expiresAt, asOf)}
}

func errInvalidWindow(preflightID string) error {
	return &Error{Kind: ErrPreflightReceiptInvalidWindow, PreflightID: preflightID,
		msg: fmt.Sprintf("preflight receipt %s has invalid validity window", preflightID)}
}

// Errors this port adds to 0.35.1's set (see docs/compat.md).
var (
	// ErrDuplicateRegistryPid: the registry lists one pid twice (0.35.1 let
	// the last entry win silently).
	ErrDuplicateRegistryPid = errors.New("registry lists a canister twice")
	// ErrMaintenanceRootNotRoot: a maintenance-root plan must select the
	// fleet root (0.35.1 did not check).
	ErrMaintenanceRootNotRoot = errors.New("maintenance-root scope must select the fleet root")
)
