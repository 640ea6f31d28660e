package store

import (
	"errors"
	"fmt"
)

// Sentinel errors every backend returns (wrapped) for errors.Is.
var (
	// ErrNotFound: the key does not exist.
	ErrNotFound = errors.New("object not found")
	// ErrExists: a conditional create found the key already present.
	ErrExists = errors.New("object already exists")
	// ErrPreconditionFailed: an If-Match compare-and-swap found another
	// ETag, or no object.
	ErrPreconditionFailed = errors.New("object changed (precondition failed)")
	// ErrConflict: a concurrent writer of the same key interfered with this
	// write, which published nothing (callers serialize writers of a key,
	// e.g. under the run lock, and may retry).
	ErrConflict = errors.New("concurrent write to the same key")
	// ErrDigestMismatch: the stream's SHA-256 differs from the expected one.
	ErrDigestMismatch = errors.New("sha256 mismatch")
	// ErrInvalidKey: a key is empty, malformed or reserved.
	ErrInvalidKey = errors.New("invalid object key")
	// ErrInvalidSettings: a store's settings are invalid.
	ErrInvalidSettings = errors.New("invalid store settings")
	// ErrLocked: a lease lock is held by another live owner.
	ErrLocked = errors.New("locked")
	// ErrLeaseLost: a held lease was taken over or released by someone else.
	ErrLeaseLost = errors.New("lease lost")
)

// OpError names the store, operation and key of a failure. It unwraps to
// the cause, usually one of the sentinels above.
type OpError struct {
	// Store names the store (Store.String()).
	Store string
	// Op is the operation: "put", "get", "stat", "list", "delete".
	Op string
	// Key is the object key (or list prefix).
	Key string
	// Err is the cause.
	Err error
}

// Error renders `put s3://b/p "key": cause`.
func (e *OpError) Error() string {
	return fmt.Sprintf("%s %s %q: %v", e.Op, e.Store, e.Key, e.Err)
}

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }

// DigestError is a SHA-256 mismatch; it matches ErrDigestMismatch.
type DigestError struct {
	// Key is the object key.
	Key string
	// Want is the expected digest, Got the digest of the bytes seen.
	Want, Got string
}

// Error renders both digests.
func (e *DigestError) Error() string {
	return fmt.Sprintf("sha256 mismatch for %q: expected %s, got %s", e.Key, e.Want, e.Got)
}

// Is matches ErrDigestMismatch.
func (e *DigestError) Is(target error) bool { return target == ErrDigestMismatch }
