package transport

import (
	"errors"
	"fmt"
)

// ErrOutcomeUnknown matches a call that was (or may have been) delivered
// to the IC whose outcome could not be learned: its status was not final
// before the poll deadline, or the certificate of its answer failed
// verification after it was submitted. It is not a definite failure: the
// caller must reconcile from the canister's state (status, snapshot list).
var ErrOutcomeUnknown = errors.New("call outcome unknown")

// OutcomeUnknownError is a call whose outcome is unknown. It unwraps to
// the cause, so a poll deadline still matches ErrTransient (an idempotent
// call may be sent again) and a failed certificate ErrCertificate.
type OutcomeUnknownError struct {
	// Method is the call's method.
	Method string
	// Err is why the outcome is unknown.
	Err error
}

// Error names the method and the cause.
func (e *OutcomeUnknownError) Error() string {
	return fmt.Sprintf("%s: outcome unknown (the call may have run): %v", e.Method, e.Err)
}

// Unwrap returns the cause.
func (e *OutcomeUnknownError) Unwrap() error { return e.Err }

// Is matches ErrOutcomeUnknown.
func (e *OutcomeUnknownError) Is(target error) bool { return target == ErrOutcomeUnknown }

// afterSubmit marks the errors that leave a submitted call's outcome
// unknown: a certificate that fails verification (the call may have run;
// a wrong root key still reads as ErrCertificate through Unwrap).
func afterSubmit(method string, err error) error {
	if err == nil || errors.Is(err, ErrOutcomeUnknown) {
		return err
	}
	if errors.Is(err, ErrCertificate) {
		return &OutcomeUnknownError{Method: method, Err: err}
	}
	return err
}
