package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// canicBin is the canic-backup binary built once for the package; every
// scenario runs it as a subprocess, and it re-executes itself as the
// built-in drivers' plugin processes.
var canicBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "canic-backup-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		if err := buildBinary(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// buildBinary builds ./cmd/canic-backup into dir (with -race when the
// tests run under it, so the product's own races are caught too).
func buildBinary(dir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	canicBin = filepath.Join(dir, "canic-backup")
	args := []string{"build", "-o", canicBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "github.com/canic-backup/canic-backup/cmd/canic-backup")
	if out, err := exec.CommandContext(ctx, "go", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("go build canic-backup: %w\n%s", err, out)
	}
	return nil
}
