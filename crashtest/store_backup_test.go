package crashtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/canic-backup/canic-backup/internal/killpoint"
)

// storeScenario prefixes the store scenario's kill point names in the
// tally, so the breakdown counts them apart from the directory backups.
const storeScenario = "store-backup:"

// storeNext is the command to run after r in the store scenario: the one
// r's error names; after the process was killed (it names nothing) what
// the docs say, `backup resume --store offsite --backup NAME` with NAME
// the staging directory's base name, or, when the run died before making
// its staging directory, the create again; the create again too when an
// executor died while starting (nothing was planned).
func storeNext(t *testing.T, sf *storeFleet, r result) []string {
	t.Helper()
	if m := hintRe.FindStringSubmatch(r.Stderr + r.Stdout); m != nil {
		next := strings.Fields(m[1])
		if len(next) > 1 && next[1] == "create" {
			// The create again stages under a new name: a run that never
			// planned must not have left its staging directory behind.
			assert.Empty(t, sf.stagingDirs(t), "the staging directory of a run that planned nothing is removed:\n%s", r)
		}
		return next
	}
	dirs := sf.stagingDirs(t)
	if !r.Killed {
		for _, d := range dirs {
			_, err := os.Stat(filepath.Join(d, runner.PlanFile))
			require.Error(t, err, "a failed run with a plan names the command to run next:\n%s", r)
		}
		require.Regexp(t, `cannot start plugin|plugin process exited`, r.Stderr, "a failed run names the command to run next:\n%s", r)
		return sf.createArgs()
	}
	if len(dirs) == 0 {
		return sf.createArgs()
	}
	require.Len(t, dirs, 1, "one run was started")
	return sf.resumeArgs(filepath.Base(dirs[0]))
}

// tracedStoreBackup backs up a fresh fleet into the store with the kill
// point trace on and returns the fleet and the points it passed.
func tracedStoreBackup(t *testing.T, w *weedShare) (*storeFleet, []point) {
	t.Helper()
	sf := startStoreFleet(t, w)
	trace := filepath.Join(sf.Dir, "trace")
	r := sf.run(t, []string{killpoint.EnvTrace + "=" + trace}, sf.createArgs()...)
	require.Equal(t, 0, r.Code, r.String())
	backups, sizes := sf.bucket(t)
	require.Empty(t, stagingLeft(t, sizes), "an uninterrupted publish leaves no staging object")
	require.Len(t, backups, 1, "one backup in the bucket: %v", backups)
	for name := range backups {
		v := sf.run(t, nil, "backup", "verify", "--config", sf.Config, "--store", storeName, "--backup", name)
		require.Equal(t, 0, v.Code, v.String())
	}
	points := readTrace(t, trace)
	parts := 0
	for _, p := range points {
		if p.name == "main/"+killpoint.StorePartUploaded {
			parts++
		}
	}
	require.GreaterOrEqual(t, parts, 2, "the publish uploads multipart parts: %v", points)
	return sf, points
}

// storeBackupAt backs up a fresh fleet into the store killed at p, follows
// the tool's next commands to the end and checks: one complete backup in
// the bucket that verifies from it, no state changed, nothing left
// stopped, no duplicate snapshot, no staging directory left, the fleet's
// lease released, and any multipart staging object left a copy of a
// published object (counted in lk).
func storeBackupAt(t *testing.T, w *weedShare, p point, baseline map[string]int, tl *tally, lk *leaks) bool {
	sf := startStoreFleet(t, w)
	before := fleettest.Digests(t, sf.Sim, sf.Children...)
	tag := marker + "=" + t.Name()
	r := sf.run(t, []string{killpoint.EnvKill + "=" + p.String(), tag}, sf.createArgs()...)
	noOrphans(t, t.Name(), sf.Sim.URL())
	reached := r.Code != 0
	// A killed main process held the fleet lease; the next run that takes
	// it takes it over at once (its pid is gone), saying so.
	killed, tookOver := r.Killed, false
	for runs := 0; r.Code != 0; runs++ {
		require.Less(t, runs, 6, "the backup did not complete in 6 commands:\n%s", r)
		next := storeNext(t, sf, r)
		t.Logf("next after exit %d (killed %t): %v", r.Code, r.Killed, next)
		r = sf.run(t, []string{tag}, next...)
		tookOver = tookOver || strings.Contains(r.Stderr, "took over lock of a run that no longer exists")
	}
	assert.Equal(t, killed, tookOver, "the lease of a killed run (only) is taken over at once:\n%s", r)
	lost := !assert.Contains(t, r.Stdout, "published ", "the last command published the backup:\n%s", r)
	backups, sizes := sf.bucket(t)
	lost = !assert.Len(t, backups, 1, "exactly one backup in the bucket: %v", backups) || lost
	for name, b := range backups {
		lost = !assert.True(t, b.hasManifest, "backup %s is complete (%d objects)", name, b.objects) || lost
		v := sf.run(t, nil, "backup", "verify", "--config", sf.Config, "--store", storeName, "--backup", name)
		lost = !assert.Equal(t, 0, v.Code, "the resumed backup verifies from the bucket: %s", v) || lost
	}
	// A finished staging object of a Put the kill cut off between its
	// copy into place and its removal is swept by the publish that
	// completes the backup (counted, and none may be left).
	left := stagingLeft(t, sizes)
	lk.add(p.String(), left)
	assert.Empty(t, left, "the completing publish sweeps the staging objects killed attempts left")
	assert.Empty(t, sf.stagingDirs(t), "the staging directory is removed")
	assert.True(t, sf.lease(t).Released, "the fleet lease is released")
	lost = !assert.Equal(t, before, fleettest.Digests(t, sf.Sim, sf.Children...), "a backup changes no state") || lost
	stillStopped := stopped(t, sf.Sim, sf.Children...)
	assert.Empty(t, stillStopped, "no canister is left stopped")
	assert.LessOrEqual(t, sum(snapshots(t, sf.Sim, sf.Children...)), sum(baseline), "no duplicate snapshot")
	tl.add(storeScenario+p.name, reached, reached && !lost, lost, len(stillStopped) > 0)
	return reached
}

// scenario counts the kill points reached whose name starts with prefix.
func (t *tally) scenario(prefix string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for name, c := range t.byName {
		if strings.HasPrefix(name, prefix) {
			n += c
		}
	}
	return n
}
