package crashtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// canicBin is the canic-backup binary built once for the package (without
// the race detector: the harness runs it hundreds of times).
var canicBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "canic-backup-crash-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		canicBin = filepath.Join(dir, "canic-backup")
		out, err := exec.CommandContext(ctx, "go", "build", "-o", canicBin,
			"github.com/canic-backup/canic-backup/cmd/canic-backup").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "go build canic-backup: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}
