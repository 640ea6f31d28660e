//go:build race

package agent_test

// raceEnabled shrinks the 256 MiB memory test under -race, where the
// in-process simulator is several times slower.
const raceEnabled = true
