//go:build windows

package restore

import (
	"errors"
	"os"
)

// errSymlink matches an entry that is a symbolic link (or another reparse
// point) and so was not opened.
var errSymlink = errors.New("symbolic link")

// openNoFollow opens path for reading unless it is a symbolic link.
// Windows has no O_NOFOLLOW: the link check (Lstat) and the open are two
// steps, so a link swapped in between is followed; the staged copy is
// still hashed and checked against the journal's checksum before any
// upload (docs/safety.md, Platforms).
func openNoFollow(path string) (*os.File, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if info.Mode()&os.ModeSymlink != 0 {
		return nil, errSymlink
	}
	return os.Open(path)
}

// openAtNoFollow opens path (the entry name of dir) unless it is a
// symbolic link; see openNoFollow.
func openAtNoFollow(_ *os.File, path, _ string) (*os.File, error) {
	return openNoFollow(path)
}
