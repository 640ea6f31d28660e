package e2e

import (
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/internal/fleettest"
)

// backupFleet runs `backup create --env env` into a new directory, checks
// it completed and verifies, and returns the directory and every child's
// digest at backup time.
func backupFleet(t *testing.T, f *fleet, env string) (string, map[string]string) {
	t.Helper()
	out := filepath.Join(f.Dir, "backup-"+env)
	before := fleettest.Digests(t, f.Sim, f.Children...)
	r := canic.Run(t, f.Dir, nil, "backup", "create", "--config", f.Config, "--env", env, "--out", out)
	require.Equal(t, 0, r.Code, r.String())
	assert.Regexp(t, `e2e\s+local\s+execute\s+complete\s+non-root-fleet\s+3\s`, r.Stdout)
	assert.Equal(t, before, fleettest.Digests(t, f.Sim, f.Children...), "a backup changes no state")
	assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...), "a backup leaves every canister running")

	r = canic.Run(t, f.Dir, nil, "backup", "verify", "--dir", out)
	require.Equal(t, 0, r.Code, r.String())
	return out, before
}

// prepareRestore runs restore plan (with mapping when not "") and restore
// apply --dry-run for the backup at out, and returns the journal's path.
func prepareRestore(t *testing.T, f *fleet, out, name, mapping string) string {
	t.Helper()
	plan := filepath.Join(f.Dir, name+"-plan.json")
	args := []string{"restore", "plan", "--backup-dir", out, "--out", plan, "--require-verified", "--require-restore-ready"}
	if mapping != "" {
		args = append(args, "--mapping", mapping)
	}
	r := canic.Run(t, f.Dir, nil, args...)
	require.Equal(t, 0, r.Code, r.String())

	jpath := filepath.Join(f.Dir, name+"-journal.json")
	r = canic.Run(t, f.Dir, nil, "restore", "apply", "--plan", plan, "--backup-dir", out, "--dry-run",
		"--out", filepath.Join(f.Dir, name+"-dry-run.json"), "--journal-out", jpath)
	require.Equal(t, 0, r.Code, r.String())
	j := readRestoreJournal(t, jpath)
	require.True(t, j.Ready, "journal blocked: %v", j.BlockedReasons)
	// 3 members: upload, stop, load, start, verify each.
	require.Equal(t, 15, j.OperationCount)
	return jpath
}

// restoreRun runs `restore run --journal jpath --<mode>` through env's
// executor with extra flags.
func restoreRun(t *testing.T, f *fleet, env, jpath, mode string, extra ...string) result {
	t.Helper()
	args := append([]string{"restore", "run", "--journal", jpath, "--" + mode, "--config", f.Config, "--env", env}, extra...)
	return canic.Run(t, f.Dir, nil, args...)
}

// restoreToCompletion runs restore run --execute in batches of maxSteps
// until the journal completes (bounded), and returns how many runs it took.
func restoreToCompletion(t *testing.T, f *fleet, env, jpath string, maxSteps int) int {
	t.Helper()
	done := regexp.MustCompile(`(\d+)/(\d+) operations completed`)
	for runs := 1; runs <= 20; runs++ {
		args := []string{}
		if maxSteps > 0 {
			args = append(args, "--max-steps", itoa(maxSteps))
		}
		r := restoreRun(t, f, env, jpath, "execute", args...)
		require.Equal(t, 0, r.Code, r.String())
		m := done.FindStringSubmatch(r.Stdout)
		require.NotNil(t, m, r.String())
		if m[1] == m[2] {
			j := readRestoreJournal(t, jpath)
			assert.Equal(t, j.OperationCount, j.CompletedOperations)
			for _, op := range j.Operations {
				assert.Equal(t, restore.StateCompleted, op.State, "operation %d %s", op.Sequence, op.Operation)
			}
			return runs
		}
	}
	t.Fatalf("restore of %s did not complete in 20 runs", jpath)
	return 0
}
