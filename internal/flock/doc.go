// Package flock holds canic-backup's file locks, built on the kernel lock
// primitives of internal/platform (flock on Unix, LockFileEx on Windows):
// Acquire takes a non-waiting exclusive lock that records its holder in the
// lock file and takes over a file left by a dead holder (the run, store
// lease and builder locks), and Wait takes a waiting lock around a short
// critical section. The kernel drops every lock when its holder dies, so a
// crash never leaves a lock that blocks recovery.
package flock
