package crashtest

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCrash kills `backup create` and `restore run --execute` at every kill
// point they pass (make crash-matrix, CANIC_CRASH_MATRIX=1) or at a sample
// of them (make crash-smoke), with both built-in executors, and `backup
// create --store` into a SeaweedFS bucket with the agent executor, and
// prints the harness line.
func TestCrash(t *testing.T) {
	var tl tally
	var lk leaks
	total := 0
	t.Run("matrix", func(t *testing.T) {
		weed := newWeedShare(t)
		weed.warm()
		for _, env := range []string{envAgent, envICP} {
			f, backup, points := tracedBackup(t, env)
			baseline := snapshots(t, f.Sim, f.Children...)
			rpoints, rbaseline := tracedRestore(t, env, backup)
			if !full() {
				points, rpoints = sample(points), sample(rpoints)
			}
			total += len(points) + len(rpoints)
			for _, p := range points {
				t.Run(env+"/backup/"+p.String(), func(t *testing.T) {
					t.Parallel()
					atPoint(t, &tl, env+"/backup/"+p.String(), func() bool { return backupAt(t, env, p, baseline, &tl) })
				})
			}
			for _, p := range rpoints {
				t.Run(env+"/restore/"+p.String(), func(t *testing.T) {
					t.Parallel()
					atPoint(t, &tl, env+"/restore/"+p.String(), func() bool { return restoreAt(t, env, backup, p, rbaseline, &tl) })
				})
			}
		}
		sf, spoints := tracedStoreBackup(t, weed)
		sbaseline := snapshots(t, sf.Sim, sf.Children...)
		if !full() {
			spoints = sample(spoints)
		}
		total += len(spoints)
		for _, p := range spoints {
			t.Run(envAgent+"/store-backup/"+p.String(), func(t *testing.T) {
				t.Parallel()
				atPoint(t, &tl, envAgent+"/store-backup/"+p.String(), func() bool { return storeBackupAt(t, weed, p, sbaseline, &tl, &lk) })
			})
		}
	})
	line := tl.line()
	fmt.Println(line)
	fmt.Println(tl.breakdown())
	fmt.Printf("of which %d in %s (backup create --store, SeaweedFS); %s\n", tl.scenario(storeScenario), strings.TrimSuffix(storeScenario, ":"), lk.line())
	require.Positive(t, total)
	missed := tl.missed()
	assert.Empty(t, missed, "every kill point is reached (each tried up to %d times); not reached: %s", maxAttempts, strings.Join(missed, ", "))
	assert.Equal(t, total, tl.points, "every kill point was reached (%d not: %s)", len(missed), strings.Join(missed, ", "))
	assert.Equal(t, tl.points, tl.resumed)
	assert.Zero(t, tl.lost)
	assert.Zero(t, tl.stopped)
	if full() {
		assert.GreaterOrEqual(t, tl.points, 100, "the matrix covers at least 100 kill points")
	}
}

// breakdown lists the kill points reached per named step.
func (t *tally) breakdown() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	names := make([]string, 0, len(t.byName))
	for n := range t.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, t.byName[n])
	}
	return "kill points by step: " + strings.Join(parts, " ")
}
