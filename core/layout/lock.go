package layout

import (
	"context"

	"github.com/canic-backup/canic-backup/internal/flock"
)

// The run lock lives in internal/flock; these names keep core/layout's API
// for its callers.

// ErrLocked matches every *LockedError.
var ErrLocked = flock.ErrLocked

// LockRecord is the JSON kept in a lock file while it is held (flock.Record).
type LockRecord = flock.Record

// LockedError says another live process holds the lock (flock.LockedError).
type LockedError = flock.LockedError

// Lock is a held exclusive lock (flock.Lock).
type Lock = flock.Lock

// LockOptions tunes Acquire; the zero value is fine (flock.Options).
type LockOptions = flock.Options

// Acquire takes the exclusive lock at path without waiting; see
// flock.Acquire.
func Acquire(ctx context.Context, path, purpose string, opts LockOptions) (*Lock, error) {
	return flock.Acquire(ctx, path, purpose, opts)
}

// AcquireLock takes the runner lock of the backup directory
// (<root>/backup-execution-journal.json.lock).
func (l BackupLayout) AcquireLock(ctx context.Context, opts LockOptions) (*Lock, error) {
	return Acquire(ctx, l.LockPath(), "backup execution journal", opts)
}
