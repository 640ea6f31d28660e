package crashtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSampleTakesLastPassOfChunkDependentSteps: the smoke sample holds the
// first and middle pass of every step, and the last pass of the steps
// whose count follows chunk counts and checkpoints (the ones that went
// unreached in a full matrix).
func TestSampleTakesLastPassOfChunkDependentSteps(t *testing.T) {
	var points []point
	for n := 1; n <= 5; n++ {
		points = append(points, point{"main/layout.before-rename", n}, point{"plugin/layout.before-rename", n}, point{"plugin/agent.download-chunk", n})
	}
	got := map[string][]int{}
	for _, p := range sample(points) {
		got[p.name] = append(got[p.name], p.n)
	}
	assert.Equal(t, map[string][]int{
		"main/layout.before-rename":   {1, 3},
		"plugin/layout.before-rename": {1, 3, 5},
		"plugin/agent.download-chunk": {1, 3, 5},
	}, got)
}

// TestAtPointRetriesAndNamesUnreached: a point reached on the second
// attempt counts; one never reached is named after maxAttempts attempts.
func TestAtPointRetriesAndNamesUnreached(t *testing.T) {
	var tl tally
	calls := 0
	atPoint(t, &tl, "sim/backup/main/x:2", func() bool { calls++; return calls == 2 })
	assert.Equal(t, 2, calls)
	assert.Empty(t, tl.missed())

	inner := &testing.T{}
	calls = 0
	atPoint(inner, &tl, "sim/backup/plugin/y:9", func() bool { calls++; return false })
	assert.Equal(t, maxAttempts, calls)
	assert.True(t, inner.Failed(), "an unreached point fails the test")
	assert.Equal(t, []string{"sim/backup/plugin/y:9"}, tl.missed())
}
