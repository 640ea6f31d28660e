package crashtest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/canic-backup/canic-backup/internal/killpoint"
)

// hintRe finds the command a failed canic-backup run names next.
var hintRe = regexp.MustCompile("run `canic-backup ([^`]+)`")

// backupNext is the command to run after r: the one r's error names;
// `backup resume` when the process was killed and could name none; the
// create again when it failed before its plan existed (an executor killed
// while starting: nothing was done).
func backupNext(t *testing.T, f *fleet, env, out string, r result, create []string) []string {
	t.Helper()
	if m := hintRe.FindStringSubmatch(r.Stderr + r.Stdout); m != nil {
		return strings.Fields(m[1])
	}
	if _, err := os.Stat(filepath.Join(out, runner.PlanFile)); err != nil && !r.Killed {
		// The executor died before anything was planned (while starting or
		// reading the registry): nothing was done, the command runs again.
		require.Regexp(t, `cannot start plugin|plugin process exited`, r.Stderr, "a failed run names the command to run next:\n%s", r)
		return create
	}
	require.True(t, r.Killed, "a failed run names the command to run next:\n%s", r)
	return []string{"backup", "resume", "--dir", out, "--config", f.Config, "--env", env}
}

// tracedBackup backs up a fresh fleet with the kill point trace on and
// returns the fleet, the backup directory and the points it passed.
func tracedBackup(t *testing.T, env string) (*fleet, string, []point) {
	t.Helper()
	f := startFleet(t)
	out := filepath.Join(f.Dir, "backup")
	trace := filepath.Join(f.Dir, "trace")
	r := canic.Run(t, f.Dir, []string{killpoint.EnvTrace + "=" + trace}, "backup", "create", "--config", f.Config, "--env", env, "--out", out)
	require.Equal(t, 0, r.Code, r.String())
	r = canic.Run(t, f.Dir, nil, "backup", "verify", "--dir", out)
	require.Equal(t, 0, r.Code, r.String())
	return f, out, readTrace(t, trace)
}

// backupAt backs up a fresh fleet killed at p, follows the tool's own
// next commands to the end and checks what the crash may have broken. It
// reports whether the kill point was reached.
func backupAt(t *testing.T, env string, p point, baseline map[string]int, tl *tally) bool {
	f := startFleet(t)
	before := fleettest.Digests(t, f.Sim, f.Children...)
	out := filepath.Join(f.Dir, "backup")
	tag := marker + "=" + t.Name()
	create := []string{"backup", "create", "--config", f.Config, "--env", env, "--out", out}
	r := canic.Run(t, f.Dir, []string{killpoint.EnvKill + "=" + p.String(), tag}, create...)
	noOrphans(t, t.Name(), f.Sim.URL())
	reached := r.Code != 0
	for runs := 0; r.Code != 0; runs++ {
		require.Less(t, runs, 6, "the backup did not complete in 6 commands:\n%s", r)
		next := backupNext(t, f, env, out, r, create)
		r = canic.Run(t, f.Dir, []string{tag}, next...)
	}
	v := canic.Run(t, f.Dir, nil, "backup", "verify", "--dir", out)
	lost := !assert.Equal(t, 0, v.Code, "the resumed backup verifies: %s", v)
	lost = !assert.Equal(t, before, fleettest.Digests(t, f.Sim, f.Children...), "a backup changes no state") || lost
	left := stopped(t, f.Sim, f.Children...)
	assert.Empty(t, left, "no canister is left stopped")
	checkBackupJournals(t, out)
	assert.LessOrEqual(t, sum(snapshots(t, f.Sim, f.Children...)), sum(baseline), "no duplicate snapshot")
	tl.add(p.name, reached, reached && !lost, lost, len(left) > 0)
	return reached
}

// checkBackupJournals parses every journal of a backup directory and
// checks that no temp file sits under a final name.
func checkBackupJournals(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, runner.ExecutionJournalFile))
	require.NoError(t, err)
	_, err = journal.DecodeExecutionJournal(b)
	assert.NoError(t, err, "the execution journal parses")
	if b, err := os.ReadFile(filepath.Join(dir, runner.DownloadJournalFile)); err == nil {
		_, err = journal.DecodeDownloadJournal(b)
		assert.NoError(t, err, "the download journal parses")
	}
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") && !strings.HasSuffix(path, layout.TempSuffix) {
			b, rerr := os.ReadFile(path)
			assert.NoError(t, rerr)
			assert.True(t, json.Valid(b), "%s is a whole JSON document", path)
		}
		return nil
	})
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
