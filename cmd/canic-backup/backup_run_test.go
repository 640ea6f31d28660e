package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/runner/memexec"
)

// TestRunPauseFailRetryFromCLI drives a backup through the CLI only: plan,
// a paused run, a failing run (canisters restarted), a refused plain
// resume, the --retry-failed resume, and a passing verify.
func TestRunPauseFailRetryFromCLI(t *testing.T) {
	base := t.TempDir()
	reg := filepath.Join(base, "registry.json")
	writeFile(t, reg, demoRegistry)
	out := filepath.Join(base, "backup")
	r := runCLI(t, "backup", "plan", "--registry", reg, "--root", demoRoot, "--fleet", "demo", "--out", out)
	require.Equal(t, exitOK, r.code, r.stderr)

	exec := memexec.New()
	run := func(args ...string) result {
		return runCLIWith(t, exec, append([]string{"backup", "run", "--dir", out, "--plugin", "unused"}, args...)...)
	}
	r = run("--max-steps", "3", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"max_steps_reached": true`)
	assert.Equal(t, []string{demoApp, demoHub}, exec.Stopped())

	exec.FailNext("snapshot:"+demoHub, &runner.CommandError{Status: "not-stopped", Message: "canister is not stopped"})
	r = run()
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "backup operation 7 failed: not-stopped: canister is not stopped")
	assert.Contains(t, r.stdout, "failed")
	assert.Empty(t, exec.Stopped(), "a failed run restarts the canisters it stopped")

	r = runCLI(t, "backup", "status", "--dir", out, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"layout_status": "failed"`)
	assert.Contains(t, r.stdout, runner.RestartedReasonPrefix+demoApp)

	calls := len(exec.Calls())
	r = run()
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "--retry-failed")
	assert.Len(t, exec.Calls(), calls, "a plain resume does not retry")

	r = run("--retry-failed")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "complete")
	assert.Empty(t, exec.Stopped())

	r = runCLI(t, "backup", "verify", "--dir", out)
	assert.Equal(t, exitOK, r.code, r.stderr)

	r = run("--max-steps", "-1")
	assert.Equal(t, exitUsage, r.code)
	r = runCLI(t, "backup", "run", "--dir", out)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--plugin")
}
