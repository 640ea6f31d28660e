package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/canic-backup/canic-backup/core/wire"
)

// writeJSON prints v as pretty JSON followed by exactly one newline (the
// stdout form of every JSON report).
func writeJSON(w io.Writer, v any) error {
	b, err := wire.MarshalPretty(v)
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// fileExists reports whether path exists (as anything); other stat errors
// are returned.
func fileExists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, fmt.Errorf("stat %s: %w", path, err)
}
