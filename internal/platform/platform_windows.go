//go:build windows

package platform

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Windows byte-range locks are mandatory: a locked range cannot be read or
// written through another handle. The lock is therefore taken on one byte
// far beyond any content (locks past the end of a file are allowed), so a
// contender can still read the holder's record from the start of the file.
const (
	lockOffsetLow  = 0xFFFFFFFE
	lockOffsetHigh = 0x7FFFFFFF
)

func lockFile(f *os.File, flags uint32) error {
	ol := &windows.Overlapped{Offset: lockOffsetLow, OffsetHigh: lockOffsetHigh}
	return windows.LockFileEx(windows.Handle(f.Fd()), flags, 0, 1, 0, ol)
}

// TryLock takes an exclusive lock on f without waiting (LockFileEx with
// LOCKFILE_EXCLUSIVE_LOCK|LOCKFILE_FAIL_IMMEDIATELY). A lock held elsewhere
// is ErrWouldBlock. Closing f or the holder's death releases it.
func TryLock(f *os.File) error {
	err := lockFile(f, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING) {
		return errWouldBlock{err}
	}
	return err
}

// Lock takes an exclusive lock on f, waiting for it (LockFileEx with
// LOCKFILE_EXCLUSIVE_LOCK).
func Lock(f *os.File) error {
	return lockFile(f, windows.LOCKFILE_EXCLUSIVE_LOCK)
}

// Unlock drops a lock taken by Lock or TryLock (UnlockFileEx). Windows
// releases a lock on close too, but may do so later; unlock first.
func Unlock(f *os.File) error {
	ol := &windows.Overlapped{Offset: lockOffsetLow, OffsetHigh: lockOffsetHigh}
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, ol)
}

type errWouldBlock struct{ errno error }

func (e errWouldBlock) Error() string { return e.errno.Error() }
func (e errWouldBlock) Unwrap() []error {
	return []error{ErrWouldBlock, e.errno}
}

// SyncDir does nothing on Windows: a directory cannot be fsynced there.
// The renames this tool makes durable go through Rename, which asks for
// MOVEFILE_WRITE_THROUGH (it returns once the move is on disk); NTFS's
// metadata journal covers creations. See docs/safety.md ("Platforms").
func SyncDir(dir string) error {
	_, err := os.Stat(dir)
	return err
}

// Rename replaces newpath with oldpath atomically and durably:
// MoveFileEx(MOVEFILE_REPLACE_EXISTING|MOVEFILE_WRITE_THROUGH).
func Rename(oldpath, newpath string) error {
	from, err := windows.UTF16PtrFromString(oldpath)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	to, err := windows.UTF16PtrFromString(newpath)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	if err := windows.MoveFileEx(from, to, windows.MOVEFILE_REPLACE_EXISTING|windows.MOVEFILE_WRITE_THROUGH); err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	return nil
}

// RenameNoReplace moves oldpath (a file or a directory) to newpath unless
// newpath exists, in one step and durably: MoveFileEx with
// MOVEFILE_WRITE_THROUGH and without MOVEFILE_REPLACE_EXISTING. An existing
// newpath matches fs.ErrExist.
func RenameNoReplace(oldpath, newpath string) error {
	from, err := windows.UTF16PtrFromString(oldpath)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	to, err := windows.UTF16PtrFromString(newpath)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	if err := windows.MoveFileEx(from, to, windows.MOVEFILE_WRITE_THROUGH); err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	return nil
}

// ProcessAlive reports whether pid names a live process of this host: it
// can be opened and has not exited (a process we may not open counts as
// alive).
func ProcessAlive(pid int) bool {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return errors.Is(err, windows.ERROR_ACCESS_DENIED)
	}
	defer windows.CloseHandle(h)
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return true
	}
	return code == stillActive
}

// KillSelf ends this process at once (TerminateProcess): no deferred
// functions, no cleanup. It does not return.
func KillSelf() {
	_ = windows.TerminateProcess(windows.CurrentProcess(), 137)
	select {}
}

// Executable reports whether a file may be run: Windows has no execute
// bit, so a regular file whose name ends in .exe (or .com, .bat, .cmd)
// counts.
func Executable(fi fs.FileInfo) bool {
	if fi.IsDir() {
		return false
	}
	name := strings.ToLower(fi.Name())
	for _, ext := range []string{".exe", ".com", ".bat", ".cmd"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// stillActive is STILL_ACTIVE, GetExitCodeProcess's code for a running process.
const stillActive = 259

// BindToHost puts process pid into a new job object with
// JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE whose only handle this process keeps:
// when this process dies, however it dies, the kernel closes the handle and
// terminates pid and every process pid started since (they inherit the
// job). It is Windows' stand-in for Linux's parent-death signal. release
// closes the handle, which ends whatever is still running in the job; call
// it when the child is being stopped anyway.
func BindToHost(pid int) (release func(), err error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return nil, fmt.Errorf("create job object: %w", err)
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{
		BasicLimitInformation: windows.JOBOBJECT_BASIC_LIMIT_INFORMATION{
			LimitFlags: windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
		},
	}
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		_ = windows.CloseHandle(job)
		return nil, fmt.Errorf("set job object limits: %w", err)
	}
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(pid))
	if err != nil {
		_ = windows.CloseHandle(job)
		return nil, fmt.Errorf("open process %d: %w", pid, err)
	}
	defer windows.CloseHandle(h)
	if err := windows.AssignProcessToJobObject(job, h); err != nil {
		_ = windows.CloseHandle(job)
		return nil, fmt.Errorf("assign process %d to job object: %w", pid, err)
	}
	var once sync.Once
	return func() { once.Do(func() { _ = windows.CloseHandle(job) }) }, nil
}

// ProcessExited returns a channel closed when process pid has exited (or
// cannot be opened: it is already gone). The handle is opened at once, so
// a later reuse of the pid does not matter; a pid reused before the call
// is detected by comparing creation times with this process's: a parent is
// always created before its child.
func ProcessExited(pid int) <-chan struct{} {
	done := make(chan struct{})
	h, err := windows.OpenProcess(windows.SYNCHRONIZE|windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		close(done)
		return done
	}
	if createdAfterSelf(h) {
		_ = windows.CloseHandle(h)
		close(done)
		return done
	}
	go func() {
		defer close(done)
		defer windows.CloseHandle(h)
		_, _ = windows.WaitForSingleObject(h, windows.INFINITE)
	}()
	return done
}

func createdAfterSelf(h windows.Handle) bool {
	var theirs, mine, x1, x2, x3 windows.Filetime
	if windows.GetProcessTimes(h, &theirs, &x1, &x2, &x3) != nil {
		return false
	}
	if windows.GetProcessTimes(windows.CurrentProcess(), &mine, &x1, &x2, &x3) != nil {
		return false
	}
	return theirs.Nanoseconds() > mine.Nanoseconds()
}

// ExeSuffix ends the file name of an executable: ".exe" on Windows.
const ExeSuffix = ".exe"
