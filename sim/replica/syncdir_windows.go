//go:build windows

package replica

import (
	"fmt"
	"os"
)

// syncDir only checks that dir exists: Windows cannot fsync a directory
// (docs/safety.md, "Platforms").
func syncDir(dir string) error {
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("open dir %s: %w", dir, err)
	}
	return nil
}
