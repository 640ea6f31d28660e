//go:build unix

package layout

import (
	"errors"
	"os"
	"syscall"
)

// openDocument opens path read-only, not following a final symlink and
// not blocking on a FIFO or device.
func openDocument(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
}

// isSymlinkRefusal reports whether err is O_NOFOLLOW's refusal of a
// symlink (ELOOP).
func isSymlinkRefusal(err error) bool { return errors.Is(err, syscall.ELOOP) }
