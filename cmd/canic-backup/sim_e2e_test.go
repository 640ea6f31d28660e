package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/sim"
)

// TestSimBackupThroughAgentPlugin is the issue 5 end-to-end: `sim start`
// writes a ready canic.toml; `backup create --env sim` re-executes the
// test-built canic-backup as the agent driver's plugin process, backs the
// simulated fleet up, and `backup verify` passes.
func TestSimBackupThroughAgentPlugin(t *testing.T) {
	dir := t.TempDir()
	infoPath := filepath.Join(dir, sim.InfoFileName)
	info, stop := startSimCLI(t, infoPath, "--fleet", "e2e", "--children", "2", "--depth", "1", "--size", "64KiB", "--state-dir", dir)
	defer stop()
	cfg := filepath.Join(dir, "canic.toml")
	require.Eventually(t, func() bool { _, err := os.Stat(cfg); return err == nil }, 10*time.Second, 10*time.Millisecond)

	r := runApp(t, nil, "config", "validate", "--config", cfg)
	require.Equal(t, exitOK, r.code, r.stderr)
	r = runApp(t, nil, "config", "show", "--config", cfg, "--env", "sim")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, info.ControllerPEM)
	assert.NotContains(t, r.stdout, "PRIVATE KEY")

	out := filepath.Join(dir, "backup")
	r = runApp(t, nil, "backup", "create", "--config", cfg, "--env", "sim", "--out", out)
	require.Equal(t, exitOK, r.code, r.stderr+r.stdout)
	assert.Regexp(t, `e2e\s+local\s+execute\s+complete\s+non-root-fleet\s+2\s`, r.stdout)
	r = runApp(t, nil, "backup", "verify", "--dir", out)
	require.Equal(t, exitOK, r.code, r.stderr+r.stdout)
	for _, id := range info.CanisterIDs[1:] {
		_, err := os.Stat(filepath.Join(out, id))
		assert.NoError(t, err, "artifact of %s", id)
	}
}
