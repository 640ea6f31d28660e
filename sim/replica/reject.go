package replica

import "fmt"

// Reject codes as the IC defines them.
const (
	// RejectSysFatal is reject code 1.
	RejectSysFatal uint64 = 1
	// RejectSysTransient is reject code 2.
	RejectSysTransient uint64 = 2
	// RejectDestinationInvalid is reject code 3.
	RejectDestinationInvalid uint64 = 3
	// RejectCanisterReject is reject code 4.
	RejectCanisterReject uint64 = 4
	// RejectCanisterError is reject code 5.
	RejectCanisterError uint64 = 5
)

// Reject is the IC's rejection of a call: reject code, message and error
// code (such as "IC0406"). It implements error; use errors.As to get it.
type Reject struct {
	// Code is the reject code 1..5.
	Code uint64
	// Message is the reject message.
	Message string
	// ErrorCode is the IC error code, e.g. "IC0406".
	ErrorCode string
}

// Error renders the reject as the IC agents do.
func (r *Reject) Error() string {
	return fmt.Sprintf("reject code %d (%s): %s", r.Code, r.ErrorCode, r.Message)
}

// IC error codes the simulator produces (rs/types/error_types ErrorCode).
const (
	ErrSubnetOversubscribed       = "IC0101"
	ErrCanisterQueueFull          = "IC0201"
	ErrCanisterIDAlreadyExists    = "IC0205"
	ErrStopCanisterTimeout        = "IC0206"
	ErrCanisterOutOfCycles        = "IC0207"
	ErrCertifiedStateUnavailable  = "IC0208"
	ErrCanisterNotFound           = "IC0301"
	ErrCanisterSnapshotNotFound   = "IC0305"
	ErrCanisterRejectedMessage    = "IC0406"
	ErrUnknownManagementMessage   = "IC0407"
	ErrInvalidManagementPayload   = "IC0408"
	ErrCanisterSnapshotImmutable  = "IC0409"
	ErrCanisterCalledTrap         = "IC0503"
	ErrCanisterContractViolation  = "IC0504"
	ErrCanisterStopped            = "IC0508"
	ErrCanisterStopping           = "IC0509"
	ErrCanisterStoppingCancelled  = "IC0511"
	ErrCanisterInvalidController  = "IC0512"
	ErrCanisterNonEmpty           = "IC0514"
	ErrCanisterMethodNotFound     = "IC0536"
	ErrCanisterWasmModuleNotFound = "IC0537"
)

// rejectCodes pairs every error code the simulator produces with its
// reject code, as the replica's From<ErrorCode> for RejectCode does
// (rs/types/error_types/src/lib.rs). It is the one table: reject builds
// every Reject from it, and package sim uses NewReject.
var rejectCodes = map[string]uint64{
	ErrSubnetOversubscribed:       RejectSysFatal,
	ErrCanisterQueueFull:          RejectSysTransient,
	ErrCanisterIDAlreadyExists:    RejectSysTransient,
	ErrStopCanisterTimeout:        RejectSysTransient,
	ErrCanisterOutOfCycles:        RejectSysTransient,
	ErrCertifiedStateUnavailable:  RejectSysTransient,
	ErrCanisterNotFound:           RejectDestinationInvalid,
	ErrCanisterSnapshotNotFound:   RejectDestinationInvalid,
	ErrCanisterRejectedMessage:    RejectCanisterReject,
	ErrUnknownManagementMessage:   RejectCanisterReject,
	ErrInvalidManagementPayload:   RejectCanisterReject,
	ErrCanisterSnapshotImmutable:  RejectCanisterReject,
	ErrCanisterCalledTrap:         RejectCanisterError,
	ErrCanisterContractViolation:  RejectCanisterError,
	ErrCanisterStopped:            RejectCanisterError,
	ErrCanisterStopping:           RejectCanisterError,
	ErrCanisterStoppingCancelled:  RejectCanisterError,
	ErrCanisterInvalidController:  RejectCanisterError,
	ErrCanisterNonEmpty:           RejectCanisterError,
	ErrCanisterMethodNotFound:     RejectCanisterError,
	ErrCanisterWasmModuleNotFound: RejectCanisterError,
}

// RejectCodeOf returns the reject code the IC pairs with an error code,
// and whether the code is in the simulator's table.
func RejectCodeOf(errorCode string) (uint64, bool) {
	c, ok := rejectCodes[errorCode]
	return c, ok
}

// NewReject builds the Reject for an IC error code with its paired reject
// code; it panics on a code missing from the table (a simulator bug).
func NewReject(errorCode, format string, a ...any) *Reject {
	return reject(errorCode, format, a...)
}

// docBase is where the IC's execution-error help links point.
const docBase = "http://internetcomputer.org/docs/current/references/execution-errors#"

// reject builds a Reject for an IC error code.
func reject(errorCode, format string, a ...any) *Reject {
	code, ok := rejectCodes[errorCode]
	if !ok {
		panic("replica: error code " + errorCode + " has no reject code in rejectCodes")
	}
	return &Reject{Code: code, ErrorCode: errorCode, Message: fmt.Sprintf(format, a...)}
}

// help appends the IC's user help (suggestion and documentation link).
func help(suggestion, doc string) string {
	s := "\n" + suggestion
	if doc != "" {
		s += " See documentation: " + docBase + doc
	}
	return s
}
