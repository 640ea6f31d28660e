package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/canic-backup/canic-backup/internal/fleettest"
)

// canicBin is the canic-backup binary built once for the package; every
// scenario runs it as a subprocess (through canic), and it re-executes
// itself as the built-in drivers' plugin processes. It is built with -race
// when the tests run under it, so the product's own races are caught too.
var (
	canicBin string
	canic    fleettest.CLI
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "canic-backup-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		if canicBin, err = fleettest.Build(dir, raceEnabled); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		canic = fleettest.CLI{Bin: canicBin}
		return m.Run()
	}()
	os.Exit(code)
}
