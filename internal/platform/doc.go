// Package platform holds the few operating-system primitives canic-backup
// needs that Unix and Windows spell differently: whole-file advisory locks,
// directory fsync, rename-over with durable metadata, process liveness and
// abrupt self-termination. The Unix versions are the system calls the tool
// always used (flock, fsync of the directory, rename, kill 0, SIGKILL); the
// Windows versions and their limits are listed in docs/safety.md
// ("Platforms").
package platform

import "errors"

// ErrWouldBlock is returned by TryLock when another open file description
// (another process, or another open of the file in this one) holds the lock.
var ErrWouldBlock = errors.New("file is locked by another holder")
