package envelope

import "errors"

// Sentinel errors; every error this package returns wraps one of them, so
// callers can map them to HTTP status codes with errors.Is.
var (
	// ErrMalformed means the body is not a valid request envelope.
	ErrMalformed = errors.New("malformed request envelope")
	// ErrBadSignature means the sender's signature, public key or principal
	// does not check out.
	ErrBadSignature = errors.New("invalid signature")
	// ErrExpired means ingress_expiry lies outside the accepted window.
	ErrExpired = errors.New("invalid request expiry")
	// ErrDelegation means the envelope carries sender delegations, which the
	// simulator does not support.
	ErrDelegation = errors.New("sender delegations are not supported")
)
