//go:build unix

package flock

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// openLockFile opens (creating) the lock file without following a symlink.
func openLockFile(path string) (f *os.File, retry bool, err error) {
	f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, false, fmt.Errorf("lock %s: refusing a symlink", path)
		}
		return nil, false, err
	}
	return f, false, nil
}

// closeLockFile closes the lock file, which drops the flock.
func closeLockFile(f *os.File) error { return f.Close() }
