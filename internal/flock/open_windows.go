//go:build windows

package flock

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/windows"

	"github.com/canic-backup/canic-backup/internal/platform"
)

// openLockFile opens (creating) the lock file without following a symlink
// or other reparse point. The file is shared for delete, so its holder can
// remove it while it still holds the lock (Release), as on Unix. A file
// another holder has just deleted but not yet closed (delete pending:
// ERROR_ACCESS_DENIED) asks the caller to try again.
func openLockFile(path string) (*os.File, bool, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil, false, fmt.Errorf("lock %s: refusing a symlink", path)
	}
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, false, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	h, err := windows.CreateFile(p,
		windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_ALWAYS,
		windows.FILE_ATTRIBUTE_NORMAL|windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
	if err != nil {
		if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
			if _, statErr := os.Lstat(path); statErr != nil {
				time.Sleep(10 * time.Millisecond) // delete pending
				return nil, true, nil
			}
		}
		return nil, false, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), false, nil
}

// closeLockFile unlocks (Windows may release a closed handle's locks
// late) and closes the lock file.
func closeLockFile(f *os.File) error {
	_ = platform.Unlock(f)
	return f.Close()
}
