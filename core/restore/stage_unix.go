//go:build unix

package restore

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// errSymlink matches an entry that is a symbolic link and so was not
// opened (O_NOFOLLOW answers ELOOP).
var errSymlink = unix.ELOOP

// openNoFollow opens path for reading without following a final symbolic
// link and without blocking on a FIFO; the caller checks the type by
// fstat on the open descriptor, so the bytes read are the entry checked.
func openNoFollow(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

// openAtNoFollow opens the entry name of the open directory dir (whose
// path joined with name is path) relative to the descriptor, so a
// directory swapped for a link after it was opened is not followed.
func openAtNoFollow(dir *os.File, path, name string) (*os.File, error) {
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return nil, errSymlink
		}
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}
