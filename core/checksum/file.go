package checksum

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
)

// errAbandoned stops hashing a file whose result is no longer needed.
var errAbandoned = errors.New("checksum abandoned after an earlier failure")

// BufferSize is the read buffer used when hashing files. It is large so that
// hashing runs at the speed of SHA-256 rather than of system calls.
const BufferSize = 1 << 20

// FromFile returns the checksum of the contents of the regular file at path.
// A symbolic link or special file is an *EntryError.
func FromFile(ctx context.Context, path string) (Checksum, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return Checksum{}, fmt.Errorf("checksum %s: %w", path, err)
	}
	if err := requireRegular(path, info); err != nil {
		return Checksum{}, err
	}
	buf := make([]byte, BufferSize)
	sum, err := hashFile(ctx, path, buf, nil)
	if err != nil {
		return Checksum{}, err
	}
	return Checksum{Algorithm: Algorithm, Hash: sum}, nil
}

// hashFile streams the file at path through SHA-256 with buf and returns the
// lower-case hex digest.
// A non-nil abandon is polled between reads; when it reports true hashing
// stops with errAbandoned.
func hashFile(ctx context.Context, path string, buf []byte, abandon func() bool) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("checksum %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if err := copyHashing(ctx, h, f, buf, abandon); err != nil {
		return "", fmt.Errorf("checksum %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// copyHashing reads r to the end into h with buf, checking ctx between
// reads. It avoids io.Copy, which would ignore buf for *os.File sources.
func copyHashing(ctx context.Context, h hash.Hash, r io.Reader, buf []byte, abandon func() bool) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if abandon != nil && abandon() {
			return errAbandoned
		}
		n, err := r.Read(buf)
		if n > 0 {
			h.Write(buf[:n])
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Writer is an io.Writer that hashes everything written through it and
// passes it on to an optional underlying writer, so a downloader can compute
// an artifact file's checksum while writing it.
type Writer struct {
	w io.Writer
	h hash.Hash
	n int64
}

// NewWriter returns a Writer that forwards to w (which may be nil to only
// hash).
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, h: sha256.New()}
}

// Write hashes p and forwards it. Only the bytes the underlying writer
// accepted are hashed.
func (w *Writer) Write(p []byte) (int, error) {
	n := len(p)
	var err error
	if w.w != nil {
		n, err = w.w.Write(p)
	}
	w.h.Write(p[:n])
	w.n += int64(n)
	return n, err
}

// Size returns the number of bytes hashed so far.
func (w *Writer) Size() int64 { return w.n }

// Sum returns the lower-case hex SHA-256 of the bytes written so far.
func (w *Writer) Sum() string { return hex.EncodeToString(w.h.Sum(nil)) }

// Checksum returns the checksum of the bytes written so far.
func (w *Writer) Checksum() Checksum { return Checksum{Algorithm: Algorithm, Hash: w.Sum()} }

// requireRegular returns an *EntryError unless info describes a regular file.
func requireRegular(path string, info os.FileInfo) error {
	if info.Mode().IsRegular() {
		return nil
	}
	return NewEntryError(path, info.Mode())
}

// NewEntryError is the *EntryError for path, whose mode m is neither a
// regular file nor (where one is allowed) a directory: it names what the
// entry is (symbolic link, named pipe, socket, device, directory or special
// file with its type).
func NewEntryError(path string, m os.FileMode) *EntryError {
	return &EntryError{Path: path, Kind: kindOf(m)}
}

// kindOf names a non-regular file mode for error messages.
func kindOf(m os.FileMode) string {
	switch {
	case m&os.ModeSymlink != 0:
		return "symbolic link"
	case m&os.ModeNamedPipe != 0:
		return "named pipe"
	case m&os.ModeSocket != 0:
		return "socket"
	case m&os.ModeDevice != 0:
		return "device"
	case m.IsDir():
		return "directory"
	default:
		return fmt.Sprintf("special file (%v)", m.Type())
	}
}
