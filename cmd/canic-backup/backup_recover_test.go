package main

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/runner/memexec"
)

// plannedDemo plans the demo fleet into a fresh directory.
func plannedDemo(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	reg := filepath.Join(base, "registry.json")
	writeFile(t, reg, demoRegistry)
	out := filepath.Join(base, "backup")
	r := runCLI(t, "backup", "plan", "--registry", reg, "--root", demoRoot, "--fleet", "demo", "--out", out)
	require.Equal(t, exitOK, r.code, r.stderr)
	return out
}

// TestRecoverAfterPausedRun: a paused run leaves canisters stopped; status
// exits 4 and names them; recover starts them (exit 0) and records it;
// status is then clean; the retried run re-stops them and completes.
func TestRecoverAfterPausedRun(t *testing.T) {
	dir := plannedDemo(t)
	exec := memexec.New()
	r := runCLIWith(t, exec, "backup", "run", "--dir", dir, "--plugin", "unused", "--max-steps", "3")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, []string{demoApp, demoHub}, exec.Stopped())

	r = runCLI(t, "backup", "status", "--dir", dir)
	assert.Equal(t, exitNeedsAttention, r.code)
	assert.Contains(t, r.stderr, "were left stopped; run `canic-backup backup recover --dir "+dir+"`")
	r = runCLI(t, "backup", "status", "--dir", dir, "--json")
	assert.Equal(t, exitNeedsAttention, r.code)
	assert.Contains(t, r.stdout, `"restart_required": true`)

	r = runCLIWith(t, exec, "backup", "recover", "--dir", dir)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "recorded operation")
	assert.Contains(t, r.stdout, "started "+demoHub)
	assert.Empty(t, exec.Stopped())

	r = runCLI(t, "backup", "status", "--dir", dir)
	assert.Equal(t, exitOK, r.code, r.stderr)
	r = runCLI(t, "backup", "inspect", "--dir", dir)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, runner.RecoveredReason)
	assert.Contains(t, r.stdout, runner.RestartedReasonPrefix+demoApp)

	// A second recover has nothing to do and needs no executor.
	r = runCLI(t, "backup", "recover", "--dir", dir, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"failed_sequence": null`)

	r = runCLIWith(t, exec, "backup", "run", "--dir", dir, "--plugin", "unused", "--retry-failed")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "complete")
	assert.Empty(t, exec.Stopped())
}

// TestRunAndRecoverExitFourWhenCanistersStayStopped: a failed run whose
// compensation cannot start a canister exits 4 naming it; recover exits 4
// while the start keeps failing and 0 once it succeeds.
func TestRunAndRecoverExitFourWhenCanistersStayStopped(t *testing.T) {
	dir := plannedDemo(t)
	exec := memexec.New()
	exec.FailNext("snapshot:"+demoApp, errors.New("boom"))
	exec.FailNext("start:"+demoHub, errors.New("start refused"))
	r := runCLIWith(t, exec, "backup", "run", "--dir", dir, "--plugin", "unused")
	assert.Equal(t, exitNeedsAttention, r.code, r.stderr)
	assert.Contains(t, r.stderr, "canisters "+demoHub+" were left stopped")
	assert.Equal(t, []string{demoHub}, exec.Stopped())

	exec.FailNext("start:"+demoHub, errors.New("still refused"))
	r = runCLIWith(t, exec, "backup", "recover", "--dir", dir, "--json")
	assert.Equal(t, exitNeedsAttention, r.code)
	assert.Contains(t, r.stdout, `"still_stopped": [`)
	assert.Contains(t, r.stderr, "still refused")

	r = runCLIWith(t, exec, "backup", "recover", "--dir", dir)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, exec.Stopped())

	r = runCLI(t, "backup", "recover")
	assert.Equal(t, exitUsage, r.code)
}
