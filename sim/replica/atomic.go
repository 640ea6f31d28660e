package replica

import (
	"fmt"
	"io"

	"github.com/canic-backup/canic-backup/internal/atomicfile"
)

// writeAtomic writes a file through a temp file in the same directory:
// write, fsync, rename over path, fsync the directory (atomicfile.WriteFunc,
// owner-only). A reader sees the old file or the whole new one, never a
// torn one.
func writeAtomic(path string, fill func(w io.Writer) error) error {
	if err := atomicfile.WriteFunc(path, 0o600, fill); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
