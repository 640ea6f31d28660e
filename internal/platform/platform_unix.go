//go:build unix

package platform

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// TryLock takes an exclusive lock on f without waiting (flock LOCK_EX|LOCK_NB).
// A lock held elsewhere is ErrWouldBlock (which also matches
// syscall.EWOULDBLOCK); other failures are the system's error. Closing f
// releases the lock, as does the holder's death.
func TryLock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errWouldBlock{err}
	}
	return err
}

// Lock takes an exclusive lock on f, waiting for it (flock LOCK_EX).
func Lock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
}

// Unlock drops a lock taken by Lock or TryLock. Closing the file does too;
// Unlock exists for Windows, where the release on close may be delayed.
func Unlock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

type errWouldBlock struct{ errno error }

func (e errWouldBlock) Error() string { return e.errno.Error() }
func (e errWouldBlock) Unwrap() []error {
	return []error{ErrWouldBlock, e.errno}
}

// SyncDir fsyncs a directory so renames and creations in it are durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		_ = d.Close()
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return d.Close()
}

// Rename is os.Rename: it replaces newpath atomically. Its durability
// comes from a SyncDir of the parent afterwards.
func Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

// ProcessAlive reports whether pid names a live process of this host (one
// we may not signal counts as alive).
func ProcessAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// KillSelf ends this process at once with SIGKILL: no deferred functions,
// no cleanup, as a power cut or the OOM killer would. It does not return.
func KillSelf() {
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // the signal is on its way
}

// Executable reports whether a file with this mode may be run: some
// execute permission bit is set.
func Executable(fi fs.FileInfo) bool {
	return !fi.IsDir() && fi.Mode().Perm()&0o111 != 0
}

// BindToHost does nothing on Unix, where a child is tied to this process by
// its parent-death signal (Pdeathsig, set when it is started on Linux) and
// by its own watch of its parent pid. release is a no-op.
func BindToHost(pid int) (release func(), err error) { return func() {}, nil }

// ExeSuffix ends the file name of an executable: nothing on Unix.
const ExeSuffix = ""
