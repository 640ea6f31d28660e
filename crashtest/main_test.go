package crashtest

import (
	"testing"

	"github.com/canic-backup/canic-backup/internal/fleettest"
)

// canic runs the canic-backup binary built once for the package (without
// the race detector: the harness runs it hundreds of times), with
// DO_NOT_TRACK=1.
var canic fleettest.CLI

func TestMain(m *testing.M) {
	fleettest.Main(m, "crash", false, []string{"DO_NOT_TRACK=1"}, &canic)
}
