package layout

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// Size bounds of ReadDocument: generous for any document canic-backup
// writes (a manifest of thousands of members is a few MiB), small enough
// that a wrong file cannot exhaust memory.
const (
	// MaxDocumentSize bounds a JSON document (plan, journal, manifest,
	// mapping, registry, lease).
	MaxDocumentSize = 64 << 20
	// MaxConfigSize bounds canic.toml.
	MaxConfigSize = 1 << 20
)

// ErrNotDocument is matched by the error ReadDocument returns for a path
// that is not a regular file of at most the size bound (a symlink, a FIFO,
// a device, a directory, or too large).
var ErrNotDocument = errors.New("not a readable document")

// DocumentError says why a path is not read as a document.
type DocumentError struct {
	Path   string
	Reason string
}

func (e *DocumentError) Error() string { return e.Path + ": " + e.Reason }

// Is matches ErrNotDocument.
func (e *DocumentError) Is(target error) bool { return target == ErrNotDocument }

// ReadDocument reads the document at path, at most limit bytes, the one way
// canic-backup reads its documents and its config. The last path component
// is opened without following a symlink and without blocking (a FIFO or a
// device never hangs the process, so signals keep working); the open file
// must be a regular file of at most limit bytes, else a *DocumentError
// names the path and the bound. A missing file matches fs.ErrNotExist.
func ReadDocument(path string, limit int64) ([]byte, error) {
	f, err := openDocument(path)
	if err != nil {
		if isSymlinkRefusal(err) {
			return nil, &DocumentError{Path: path, Reason: "is a symbolic link; documents are read only from regular files"}
		}
		return nil, err // *fs.PathError names the file
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &DocumentError{Path: path, Reason: "is not a regular file (" + fileKind(st.Mode()) + "); documents are read only from regular files"}
	}
	if st.Size() > limit {
		return nil, &DocumentError{Path: path, Reason: fmt.Sprintf("is %d bytes, larger than the %d-byte limit for this document", st.Size(), limit)}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	if int64(len(data)) > limit {
		return nil, &DocumentError{Path: path, Reason: fmt.Sprintf("grew past the %d-byte limit for this document while it was read", limit)}
	}
	return data, nil
}

// fileKind names a non-regular file mode.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "mode " + m.String()
}

// readRegular is ReadDocument with MaxDocumentSize.
func readRegular(path string) ([]byte, error) { return ReadDocument(path, MaxDocumentSize) }
