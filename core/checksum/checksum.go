// Package checksum computes the SHA-256 checksums of backup artifacts exactly
// as canic-backup 0.35.1 does: a file hashes to the SHA-256 of its bytes, a
// directory hashes to the SHA-256 over a manifest of its files (relative
// path, NUL, the file's own hex digest, newline) listed in component-wise
// path order.
//
// Unlike 0.35.1, symbolic links and special files inside an artifact are an
// error naming the offending path rather than being followed or silently
// skipped (see docs/compat.md, "Artifact checksums").
package checksum

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Algorithm is the only checksum algorithm canic-backup accepts.
const Algorithm = "sha256"

// EmptyHash is the SHA-256 of no bytes, which is also the checksum of an
// empty directory.
const EmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Checksum is an artifact checksum: the algorithm name and the lower-case hex
// digest (0.35.1's ArtifactChecksum).
type Checksum struct {
	Algorithm string `json:"algorithm"`
	Hash      string `json:"hash"`
}

// ErrUnsupportedAlgorithm reports an algorithm other than "sha256".
var ErrUnsupportedAlgorithm = errors.New("unsupported checksum algorithm")

// ErrMismatch is matched (errors.Is) by every *MismatchError.
var ErrMismatch = errors.New("checksum mismatch")

// ErrUnsupportedEntry is matched (errors.Is) by every *EntryError.
var ErrUnsupportedEntry = errors.New("unsupported artifact entry")

// AlgorithmError reports an unsupported checksum algorithm name.
type AlgorithmError struct {
	Algorithm string
}

// Error returns 0.35.1's text: "unsupported checksum algorithm {0}".
func (e *AlgorithmError) Error() string {
	return fmt.Sprintf("unsupported checksum algorithm %s", e.Algorithm)
}

// Unwrap makes the error match ErrUnsupportedAlgorithm.
func (e *AlgorithmError) Unwrap() error { return ErrUnsupportedAlgorithm }

// MismatchError reports a computed checksum that differs from the expected
// one. Path names the artifact when known (it is not part of 0.35.1's text
// and is appended only when set).
type MismatchError struct {
	Expected string
	Actual   string
	Path     string
}

// Error returns "checksum mismatch: expected {expected}, actual {actual}",
// followed by the artifact path when known.
func (e *MismatchError) Error() string {
	msg := fmt.Sprintf("checksum mismatch: expected %s, actual %s", e.Expected, e.Actual)
	if e.Path != "" {
		msg += " (artifact " + e.Path + ")"
	}
	return msg
}

// Unwrap makes the error match ErrMismatch.
func (e *MismatchError) Unwrap() error { return ErrMismatch }

// EntryError reports a symbolic link or special file (socket, named pipe,
// device) found where an artifact may hold only regular files and
// directories.
type EntryError struct {
	Path string
	Kind string
}

// Error names the path and what it is.
func (e *EntryError) Error() string {
	return fmt.Sprintf("artifact entry %s is a %s; artifacts may hold only regular files and directories", e.Path, e.Kind)
}

// Unwrap makes the error match ErrUnsupportedEntry.
func (e *EntryError) Unwrap() error { return ErrUnsupportedEntry }

// FromBytes returns the checksum of b.
func FromBytes(b []byte) Checksum {
	sum := sha256.Sum256(b)
	return Checksum{Algorithm: Algorithm, Hash: hex.EncodeToString(sum[:])}
}

// Verify checks that c uses "sha256" and that its hash equals expected,
// hex digits compared regardless of case: one rule for backup verify,
// restore apply and restore run (0.35.1 compared strings, so an
// upper-case expected hash passed validation and then always failed;
// docs/compat.md).
func (c Checksum) Verify(expected string) error {
	if c.Algorithm != Algorithm {
		return &AlgorithmError{Algorithm: c.Algorithm}
	}
	if !strings.EqualFold(c.Hash, expected) {
		return &MismatchError{Expected: expected, Actual: c.Hash}
	}
	return nil
}

// IsHex64 reports whether s is 64 ASCII hex digits (either case), the shape
// 0.35.1 accepts for a sha256 hash field.
func IsHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
