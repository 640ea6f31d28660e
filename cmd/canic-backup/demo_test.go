package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/driver/dfx/dfxtest"
	"github.com/canic-backup/canic-backup/internal/demo"
	"github.com/canic-backup/canic-backup/sim/replica"
)

// runDemoBinary runs the built canic-backup binary's demo as a subprocess
// with extra environment vars and decodes its --json report.
func runDemoBinary(t *testing.T, vars []string, args ...string) demo.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, canicBin, append([]string{"demo", "--json"}, args...)...)
	cmd.Env = append(os.Environ(), vars...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "stderr: %s\nstdout: %s", stderr.String(), stdout.String())
	var r demo.Report
	require.NoError(t, wire.Unmarshal(stdout.Bytes(), &r), stdout.String())
	return r
}

// requireDemoRestored checks a successful report: the backup verified,
// every step ran, and every canister was changed and then restored to its
// backup-time digest.
func requireDemoRestored(t *testing.T, r demo.Report, executor string, canisters int) {
	t.Helper()
	assert.True(t, r.OK, "report: %+v", r)
	assert.Nil(t, r.Error)
	assert.Equal(t, executor, r.Executor)
	assert.True(t, r.BackupVerified)
	assert.True(t, r.AllRestored)
	require.Len(t, r.Steps, 6)
	require.Len(t, r.Canisters, canisters)
	for _, c := range r.Canisters {
		assert.Len(t, c.BackupDigest, 64, c.CanisterID)
		assert.NotEqual(t, c.BackupDigest, c.MutatedDigest, "%s: the demo must change the state", c.CanisterID)
		assert.Equal(t, c.BackupDigest, c.RestoredDigest, "%s: restored state", c.CanisterID)
		assert.True(t, c.Restored, c.CanisterID)
		assert.NotEmpty(t, c.Role, c.CanisterID)
	}
}

// TestDemoBinaryJSON runs `canic-backup demo --json` as a subprocess (the
// built binary, re-executing itself as the agent plugin) and checks the
// report and the files it points to.
func TestDemoBinaryJSON(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	start := time.Now()
	r := runDemoBinary(t, nil, "--dir", dir)
	t.Logf("demo (agent, 3 x 4 MiB) took %s, report total %d ms", time.Since(start), r.TotalMillis)
	requireDemoRestored(t, r, demo.ExecutorAgent, 3)
	assert.True(t, r.Kept)
	assert.Equal(t, dir, r.Paths.Dir)
	for _, p := range []string{r.Paths.Config, r.Paths.Manifest, r.Paths.BackupJournal, r.Paths.DownloadJournal,
		r.Paths.RestorePlan, r.Paths.RestoreJournal, r.Paths.RestoreSummary} {
		_, err := os.Stat(p)
		assert.NoError(t, err, p)
		assert.True(t, strings.HasPrefix(p, dir), p)
	}
	// The backup it leaves is a real one: the CLI verifies it again.
	res := runApp(t, nil, "backup", "verify", "--dir", r.Paths.Backup)
	assert.Equal(t, exitOK, res.code, res.stderr)
	assert.Contains(t, res.stdout, "verified: 3 members")
}

// TestDemoDFXExecutor runs the demo through the dfx driver's icp flavor,
// that is the real icp CLI.
func TestDemoDFXExecutor(t *testing.T) {
	icp := dfxtest.ICPBinary(t)
	r := runDemoBinary(t, []string{"CANIC_ICP_BIN=" + icp}, "--executor", "dfx", "--dir", filepath.Join(t.TempDir(), "d"),
		"--children", "2", "--size", "1MiB")
	requireDemoRestored(t, r, demo.ExecutorDFX, 2)
	cfg, err := os.ReadFile(r.Paths.Config)
	require.NoError(t, err)
	assert.Contains(t, string(cfg), icp)
}

// TestDemoTextAndKeepFalse: the human output has the numbered steps, the
// digest table with a check mark per canister and the success line;
// --keep=false empties a --dir.
func TestDemoTextAndKeepFalse(t *testing.T) {
	dir := t.TempDir()
	res := runApp(t, nil, "demo", "--dir", dir, "--keep=false", "--children", "2", "--size", "64KiB")
	require.Equal(t, exitOK, res.code, res.stderr+res.stdout)
	for i := 1; i <= 6; i++ {
		assert.Contains(t, res.stdout, "\n "+string(rune('0'+i))+". ")
	}
	assert.Contains(t, res.stdout, "AT BACKUP")
	assert.Equal(t, 2, strings.Count(res.stdout, "✓"))
	assert.Contains(t, res.stdout, "ok: backup verified and every canister is back to its backup-time state")
	assert.Contains(t, res.stdout, "removed "+dir)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

// TestDemoBadInput: usage mistakes exit 2, a non-empty --dir and a
// missing icp CLI exit 1 with what to do.
func TestDemoBadInput(t *testing.T) {
	full := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(full, "x"), nil, 0o644))
	for _, tc := range []struct {
		args []string
		vars map[string]string
		code int
		want string
	}{
		{[]string{"demo", "--executor", "ssh"}, nil, exitUsage, `--executor "ssh": want agent or dfx`},
		{[]string{"demo", "--children", "0"}, nil, exitUsage, "--children 0: want 1 to 20"},
		{[]string{"demo", "--size", "12 bananas"}, nil, exitUsage, `--size "12 bananas"`},
		{[]string{"demo", "extra"}, nil, exitUsage, `unexpected argument "extra"`},
		{[]string{"demo", "--dir", full}, nil, exitFailure, full + " is not empty (found x)"},
		{[]string{"demo", "--executor", "dfx"}, map[string]string{"PATH": t.TempDir()}, exitFailure, "npm i -g @icp-sdk/icp-cli-linux-x64@1.5.0"},
		{[]string{"demo", "--executor", "dfx"}, map[string]string{"CANIC_ICP_BIN": full}, exitFailure, "is not a file"},
	} {
		res := runApp(t, tc.vars, tc.args...)
		assert.Equal(t, tc.code, res.code, "%v: %s", tc.args, res.stderr)
		assert.Contains(t, res.stderr, tc.want, tc.args)
		assert.Empty(t, res.stdout, tc.args)
	}
}

// TestDemoFormatting covers the small renderers.
func TestDemoFormatting(t *testing.T) {
	assert.Equal(t, "4 MiB", demo.FormatBytes(4<<20))
	assert.Equal(t, "64 KiB", demo.FormatBytes(64<<10))
	assert.Equal(t, "1 GiB", demo.FormatBytes(1<<30))
	assert.Equal(t, "1000 bytes", demo.FormatBytes(1000))
	assert.Equal(t, "0.42s", demoDuration(420*time.Millisecond))
	assert.Equal(t, "12.3s", demoDuration(12300*time.Millisecond))
	assert.Equal(t, "0123456789ab", demoShort("0123456789abcdef"))
}

// replicaCall is an update call of the simulator's built-in application.
func replicaCall(sender, canister []byte, method string, arg []byte) replica.Call {
	return replica.Call{Sender: sender, Canister: canister, Method: method, Arg: arg, Kind: replica.Update}
}
