package replica

import "errors"

// Sentinel errors of the Go-level API (calls report *Reject instead).
var (
	// ErrNoCanister means the canister id is unknown.
	ErrNoCanister = errors.New("replica: no such canister")
	// ErrBadStatus means a status name is not running, stopping or stopped.
	ErrBadStatus = errors.New("replica: invalid canister status")
	// ErrBadFleetSpec means a FleetSpec is invalid.
	ErrBadFleetSpec = errors.New("replica: invalid fleet spec")
	// ErrBadState means a state directory is missing, damaged or of another
	// version.
	ErrBadState = errors.New("replica: invalid state directory")
)
