//go:build race

package e2e

// raceEnabled: the test binary runs under the race detector, so the
// canic-backup binary under test is built with -race too.
const raceEnabled = true
