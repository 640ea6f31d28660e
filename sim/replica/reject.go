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
