package flock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/canic-backup/canic-backup/core/timestamp"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/platform"
)

// Lock is a held exclusive lock: a kernel lock on the lock file (flock on
// Unix, LockFileEx on Windows), released by Release or by the kernel when
// the process dies, so a crash never leaves a lock that blocks recovery.
type Lock struct {
	path   string
	file   *os.File
	once   sync.Once
	record Record
	stale  *Record
}

// Options tunes Acquire; the zero value is fine.
type Options struct {
	// Clock stamps StartedAt; timestamp.System when nil.
	Clock timestamp.Clock
	// Command is recorded in the lock file; os.Args joined when empty.
	Command string
}

// Acquire takes the exclusive lock at path without waiting. purpose names
// the locked thing in errors ("backup execution journal"). If another live
// process (or another Acquire in this process) holds it, the error is a
// *LockedError naming the holder's pid, host and start time. A lock file
// left by a dead holder (or by 0.35.1) is taken over; Lock.Stale reports it.
func Acquire(ctx context.Context, path, purpose string, opts Options) (*Lock, error) {
	for attempt := 0; attempt < 10; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		l, retry, err := tryAcquire(path, purpose, opts)
		if !retry {
			return l, err
		}
	}
	return nil, fmt.Errorf("lock %s: the lock file kept being replaced", path)
}

func tryAcquire(path, purpose string, opts Options) (l *Lock, retry bool, err error) {
	f, retry, err := openLockFile(path)
	if retry || err != nil {
		return nil, retry, err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, false, err
	}
	if !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, false, fmt.Errorf("lock %s: not a regular file", path)
	}
	if err := platform.TryLock(f); err != nil {
		data, _ := io.ReadAll(io.LimitReader(f, 64<<10))
		_ = f.Close()
		if errors.Is(err, platform.ErrWouldBlock) {
			holder, _ := parseRecord(data)
			return nil, false, &LockedError{Path: path, Purpose: purpose, Holder: holder}
		}
		return nil, false, fmt.Errorf("lock %s: %w", path, err)
	}
	// The file may have been removed by a releasing holder between our open
	// and flock; then we locked an orphan inode and must start over.
	cur, err := os.Lstat(path)
	if err != nil || !os.SameFile(fi, cur) {
		_ = f.Close()
		return nil, true, nil
	}
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		_ = f.Close()
		return nil, false, err
	}
	l = &Lock{path: path, file: f}
	if old, ok := parseRecord(data); ok {
		l.stale = &old
	}
	l.record = newRecord(opts)
	if err := l.writeRecord(); err != nil {
		_ = f.Close()
		return nil, false, err
	}
	return l, false, nil
}

func newRecord(opts Options) Record {
	clock := opts.Clock
	if clock == nil {
		clock = timestamp.System{}
	}
	host, _ := os.Hostname()
	cmd := opts.Command
	if cmd == "" {
		cmd = strings.Join(os.Args, " ")
	}
	return Record{PID: os.Getpid(), Host: host, StartedAt: timestamp.Now(clock), Command: cmd}
}

func (l *Lock) writeRecord() error {
	data, err := wire.MarshalPrettyLine(l.record)
	if err != nil {
		return err
	}
	if err := l.file.Truncate(0); err != nil {
		return err
	}
	if _, err := l.file.WriteAt(data, 0); err != nil {
		return err
	}
	return l.file.Sync()
}

// Path is the lock file.
func (l *Lock) Path() string { return l.path }

// Record is what this lock wrote into the lock file.
func (l *Lock) Record() Record { return l.record }

// Stale returns the record of a previous holder whose lock file was left
// behind (it died, or was a 0.35.1 runner), or nil when the file was fresh.
func (l *Lock) Stale() *Record { return l.stale }

// StaleMessage tells the operator about a cleared stale lock, or returns ""
// when there was none.
func (l *Lock) StaleMessage() string {
	if l.stale == nil {
		return ""
	}
	return fmt.Sprintf("cleared stale lock %s left by %s", l.path, l.stale.String())
}

// Wait takes the exclusive kernel lock of the file at path, waiting for
// it, and returns the function that releases it (by closing the file).
// Unlike Acquire it keeps no record and never removes the file: it guards
// short critical sections such as a store's check-and-rename or a one-time
// build into a shared cache directory.
func Wait(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := platform.Lock(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() { _ = f.Close() }, nil // closing the descriptor releases the lock
}

// Release removes the lock file and drops the kernel lock. It is safe to
// call more than once.
func (l *Lock) Release() error {
	var err error
	l.once.Do(func() {
		// Remove while still holding the flock, so no one can lock the
		// old inode and believe they own the path.
		if rmErr := os.Remove(l.path); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
			err = rmErr
		}
		if cErr := closeLockFile(l.file); cErr != nil && err == nil {
			err = cErr
		}
	})
	return err
}
