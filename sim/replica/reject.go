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

// IC error codes the replica produces.
const (
	ErrCanisterNotFound           = "IC0301"
	ErrCanisterIDAlreadyExists    = "IC0205"
	ErrCanisterSnapshotNotFound   = "IC0305"
	ErrCanisterRejectedMessage    = "IC0406"
	ErrUnknownManagementMessage   = "IC0407"
	ErrInvalidManagementPayload   = "IC0408"
	ErrCanisterSnapshotImmutable  = "IC0409"
	ErrCanisterStopped            = "IC0508"
	ErrCanisterStopping           = "IC0509"
	ErrCanisterInvalidController  = "IC0512"
	ErrCanisterNonEmpty           = "IC0514"
	ErrCanisterMethodNotFound     = "IC0536"
	ErrCanisterWasmModuleNotFound = "IC0537"
)

// docBase is where the IC's execution-error help links point.
const docBase = "http://internetcomputer.org/docs/current/references/execution-errors#"

// rejectCodeOf maps an IC error code to its reject code (its first digit).
func rejectCodeOf(errorCode string) uint64 {
	if len(errorCode) == 6 && errorCode[3] >= '1' && errorCode[3] <= '5' {
		return uint64(errorCode[3] - '0')
	}
	return RejectCanisterError
}

// reject builds a Reject for an IC error code.
func reject(errorCode, format string, a ...any) *Reject {
	return &Reject{Code: rejectCodeOf(errorCode), ErrorCode: errorCode, Message: fmt.Sprintf(format, a...)}
}

// help appends the IC's user help (suggestion and documentation link).
func help(suggestion, doc string) string {
	s := "\n" + suggestion
	if doc != "" {
		s += " See documentation: " + docBase + doc
	}
	return s
}
