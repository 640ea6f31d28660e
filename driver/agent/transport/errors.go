package transport

import (
	"errors"
	"fmt"
)

// Reject codes of the IC.
const (
	// RejectSysFatal is reject code 1.
	RejectSysFatal uint64 = 1
	// RejectSysTransient is reject code 2: retrying may succeed.
	RejectSysTransient uint64 = 2
	// RejectDestinationInvalid is reject code 3.
	RejectDestinationInvalid uint64 = 3
	// RejectCanisterReject is reject code 4.
	RejectCanisterReject uint64 = 4
	// RejectCanisterError is reject code 5.
	RejectCanisterError uint64 = 5
)

// Reject is the IC's certified (or non-replicated) rejection of a call.
type Reject struct {
	// Method is the method that was called.
	Method string
	// Code is the reject code 1..5.
	Code uint64
	// Message is the reject message.
	Message string
	// ErrorCode is the IC error code such as "IC0301", empty if none.
	ErrorCode string
	// Uncertified marks a non-replicated rejection (v3/v4
	// non_replicated_rejection, v2 200 with a reject body): the call was
	// refused before execution, so it certainly did not run, and no
	// certificate vouches for the reject.
	Uncertified bool
}

// Error renders the reject as the IC agents do.
func (r *Reject) Error() string {
	ec := r.ErrorCode
	if ec == "" {
		ec = "no error code"
	}
	kind := "rejected"
	if r.Uncertified {
		kind = "rejected before execution (uncertified)"
	}
	return fmt.Sprintf("%s %s: reject code %d (%s): %s", r.Method, kind, r.Code, ec, r.Message)
}

// ErrResponseLost means the call was executed but its reply is gone: the
// certified request status is "done" without a reply. The caller must
// reconcile (for example list snapshots after take_canister_snapshot)
// rather than assume the call did nothing.
var ErrResponseLost = errors.New("the call was executed but its response was lost (request status done)")

// ErrTransient matches failures worth retrying: network errors, HTTP 429
// and 5xx answers, polling timeouts and stale certificates.
var ErrTransient = errors.New("transient transport failure")

// ErrCertificate matches a certificate that fails verification (signature,
// delegation or structure). It is not transient: a wrong root key does not
// fix itself.
var ErrCertificate = errors.New("certificate verification failed")

// HTTPError is a non-success HTTP answer from the replica.
type HTTPError struct {
	// Endpoint is the path that answered, such as /api/v4/canister/x/call.
	Endpoint string
	// Status is the HTTP status code.
	Status int
	// Body is the start of the response body.
	Body string
}

// Error names the endpoint, status and body.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("POST %s: HTTP %d: %s", e.Endpoint, e.Status, e.Body)
}

// Is matches ErrTransient for 429 and 5xx answers.
func (e *HTTPError) Is(target error) bool {
	return target == ErrTransient && (e.Status == 429 || e.Status >= 500)
}

// transientError wraps a cause as ErrTransient.
type transientError struct {
	msg string
	err error
}

func (e *transientError) Error() string {
	if e.err == nil {
		return e.msg
	}
	return e.msg + ": " + e.err.Error()
}
func (e *transientError) Unwrap() error { return e.err }
func (e *transientError) Is(target error) bool {
	return target == ErrTransient
}

func transient(err error, format string, args ...any) error {
	return &transientError{msg: fmt.Sprintf(format, args...), err: err}
}
