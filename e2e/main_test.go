package e2e

import (
	"testing"

	"github.com/canic-backup/canic-backup/internal/fleettest"
)

// canic runs the canic-backup binary built once for the package; every
// scenario runs it as a subprocess, and it re-executes itself as the
// built-in drivers' plugin processes. It is built with -race when the
// tests run under it, so the product's own races are caught too.
var canic fleettest.CLI

func TestMain(m *testing.M) { fleettest.Main(m, "e2e", raceEnabled, nil, &canic) }
