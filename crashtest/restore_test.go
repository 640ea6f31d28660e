package crashtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/canic-backup/canic-backup/internal/killpoint"
)

// nextRe reads the next action from a restore run summary.
var nextRe = regexp.MustCompile(`, next: ([a-z-]+);`)

// restoreMode maps a summary's next action to the restore run flag that
// performs it.
var restoreMode = map[string]string{
	restore.NextRerun:          "--execute",
	restore.NextUnclaimPending: "--unclaim-pending",
	restore.NextInspectFailed:  "--retry-failed",
}

// prepareRestore copies the backup into a fresh fleet's directory, changes
// every canister's state and writes a restore plan and apply journal.
func prepareRestore(t *testing.T, f *fleet, backup string) (string, string) {
	t.Helper()
	out := filepath.Join(f.Dir, "backup")
	cp, err := exec.Command("cp", "-a", backup, out).CombinedOutput()
	require.NoError(t, err, "%s", cp)
	fleettest.Mutate(t, f.Sim, 1000, f.Children...)
	plan := filepath.Join(f.Dir, "restore-plan.json")
	r := canic.Run(t, f.Dir, nil, "restore", "plan", "--backup-dir", out, "--out", plan, "--require-verified", "--require-restore-ready")
	require.Equal(t, 0, r.Code, r.String())
	jpath := filepath.Join(f.Dir, "restore-journal.json")
	r = canic.Run(t, f.Dir, nil, "restore", "apply", "--plan", plan, "--backup-dir", out, "--dry-run",
		"--out", filepath.Join(f.Dir, "dry-run.json"), "--journal-out", jpath)
	require.Equal(t, 0, r.Code, r.String())
	return out, jpath
}

// restoreRun runs `restore run` on jpath in the given mode.
func restoreRun(t *testing.T, f *fleet, env, jpath, mode string, extra ...string) result {
	t.Helper()
	return canic.Run(t, f.Dir, extra, "restore", "run", "--journal", jpath, mode, "--config", f.Config, "--env", env)
}

// finishRestore follows `restore run --dry-run`'s next action until it is
// done and returns how many commands that took.
func finishRestore(t *testing.T, f *fleet, env, jpath string, extra ...string) int {
	t.Helper()
	var last result
	for runs := 0; ; runs++ {
		require.Less(t, runs, 8, "the restore did not complete in 8 commands; the last said:\n%s", last)
		s := restoreRun(t, f, env, jpath, "--dry-run")
		require.Equal(t, 0, s.Code, s.String())
		m := nextRe.FindStringSubmatch(s.Stdout)
		require.NotNil(t, m, "the summary names the next action:\n%s", s)
		if m[1] == restore.NextDone {
			return runs
		}
		mode, ok := restoreMode[m[1]]
		require.True(t, ok, "next action %q has a command:\n%s", m[1], s)
		last = restoreRun(t, f, env, jpath, mode, extra...)
		if os.Getenv("CRASHTEST_DEBUG") != "" {
			fmt.Println(last.String())
		}
	}
}

// tracedRestore restores backup onto a fresh fleet with the trace on.
func tracedRestore(t *testing.T, env, backup string) ([]point, map[string]int) {
	t.Helper()
	f := startFleet(t)
	atBackup := fleettest.Digests(t, f.Sim, f.Children...)
	_, jpath := prepareRestore(t, f, backup)
	trace := filepath.Join(f.Dir, "trace")
	r := restoreRun(t, f, env, jpath, "--execute", killpoint.EnvTrace+"="+trace)
	require.Equal(t, 0, r.Code, r.String())
	require.Equal(t, 0, finishRestore(t, f, env, jpath), "one --execute completes an uninterrupted restore")
	require.Equal(t, atBackup, fleettest.Digests(t, f.Sim, f.Children...))
	return readTrace(t, trace), snapshots(t, f.Sim, f.Children...)
}

// restoreAt restores onto a fresh fleet killed at p, follows the next
// actions to the end and checks every state digest and status.
func restoreAt(t *testing.T, env, backup string, p point, baseline map[string]int, tl *tally) bool {
	f := startFleet(t)
	atBackup := fleettest.Digests(t, f.Sim, f.Children...)
	_, jpath := prepareRestore(t, f, backup)
	tag := marker + "=" + t.Name()
	r := restoreRun(t, f, env, jpath, "--execute", killpoint.EnvKill+"="+p.String(), tag)
	noOrphans(t, t.Name(), f.Sim.URL())
	reached := r.Code != 0
	if !r.Killed && r.Code != 0 {
		assert.Regexp(t, `--unclaim-pending|--retry-failed|--execute`, r.Stderr, "a failed run names what to run next")
	}
	finishRestore(t, f, env, jpath, tag)
	_, err := restore.ReadJournal(jpath)
	assert.NoError(t, err, "the apply journal parses")
	lost := !assert.Equal(t, atBackup, fleettest.Digests(t, f.Sim, f.Children...), "every canister is back at its backup-time state")
	left := stopped(t, f.Sim, f.Children...)
	assert.Empty(t, left, "no canister is left stopped")
	assert.LessOrEqual(t, sum(snapshots(t, f.Sim, f.Children...)), sum(baseline), "no duplicate snapshot")
	tl.add(p.name, reached, reached && !lost, lost, len(left) > 0)
	return reached
}
