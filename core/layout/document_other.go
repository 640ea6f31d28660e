//go:build !unix

package layout

import (
	"errors"
	"io/fs"
	"os"
)

// errSymlink is returned by openDocument for a symlink.
var errSymlink = errors.New("symbolic link")

// openDocument opens path read-only after refusing a symlink (Lstat; this
// platform has no O_NOFOLLOW).
func openDocument(path string) (*os.File, error) {
	if st, err := os.Lstat(path); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		return nil, &fs.PathError{Op: "open", Path: path, Err: errSymlink}
	}
	return os.Open(path)
}

// isSymlinkRefusal reports whether err is openDocument's refusal.
func isSymlinkRefusal(err error) bool { return errors.Is(err, errSymlink) }
