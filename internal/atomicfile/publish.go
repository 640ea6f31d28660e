package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Publish renames a staged file or directory to its final name without
// ever replacing something already there: the error then matches
// ErrExists and both paths are left as they were. On Linux the kernel does
// the check and the rename in one step (renameat2 RENAME_NOREPLACE); where
// that is unavailable a file is published by link and unlink (atomic too)
// and a directory by a check followed by rename (a race with another
// writer of the same name is then possible; the run lock excludes other
// canic-backup runs). The parent directory is fsynced afterwards.
func Publish(staged, final string) error {
	err := renameNoReplace(staged, final)
	if errors.Is(err, errNoReplaceUnsupported) {
		err = publishFallback(staged, final)
	}
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("publish %s: %w", final, ErrExists)
		}
		return fmt.Errorf("publish %s as %s: %w", staged, final, err)
	}
	return SyncDir(filepath.Dir(final))
}

// errNoReplaceUnsupported: the system or file system has no atomic
// rename-without-replace.
var errNoReplaceUnsupported = errors.New("rename without replace is not supported")

func publishFallback(staged, final string) error {
	fi, err := os.Lstat(staged)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		if err := os.Link(staged, final); err != nil {
			return err
		}
		return os.Remove(staged)
	}
	if _, err := os.Lstat(final); err == nil {
		return fs.ErrExist
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.Rename(staged, final)
}
