package crashtest

import (
	"fmt"
	"os"
	"testing"

	"github.com/canic-backup/canic-backup/internal/fleettest"
)

// canicBin is the canic-backup binary built once for the package (without
// the race detector: the harness runs it hundreds of times); canic runs it
// with DO_NOT_TRACK=1.
var (
	canicBin string
	canic    fleettest.CLI
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "canic-backup-crash-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		if canicBin, err = fleettest.Build(dir, false); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		canic = fleettest.CLI{Bin: canicBin, Env: []string{"DO_NOT_TRACK=1"}}
		return m.Run()
	}()
	os.Exit(code)
}
