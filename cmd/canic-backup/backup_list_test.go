package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/internal/golden"
)

// completeBackup writes the golden complete backup into dir with its
// manifest's created_at set to marker ("unix:<secs>").
func completeBackup(t *testing.T, dir, marker string) {
	t.Helper()
	goldenBackup(t, dir)
	path := filepath.Join(dir, "fleet-backup-manifest.json")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	out := strings.Replace(string(b), `"created_at": "unix:1778594400"`, `"created_at": "`+marker+`"`, 1)
	require.NotEqual(t, string(b), out)
	require.NoError(t, os.WriteFile(path, []byte(out), 0o644))
}

// dryRunBackup writes 0.35.1's dry-run plan and journal into dir.
func dryRunBackup(t *testing.T, dir string) {
	t.Helper()
	writeFile(t, filepath.Join(dir, "backup-plan.json"), string(golden.Read(t, "backup/extra/dry-run.backup-plan.json")))
	writeFile(t, filepath.Join(dir, "backup-execution-journal.json"), string(golden.Read(t, "backup/extra/dry-run.backup-execution-journal.json")))
}

// TestBackupListClassifiesAndSortsNewestFirst: complete backups, a dry
// run, broken layouts and non-backups, newest first by real time (a run
// stamp and unix markers compare as times), text and JSON.
func TestBackupListClassifiesAndSortsNewestFirst(t *testing.T) {
	root := t.TempDir()
	completeBackup(t, filepath.Join(root, "old"), "unix:1778500000")
	completeBackup(t, filepath.Join(root, "new"), "unix:1778600000")
	dryRunBackup(t, filepath.Join(root, "planned")) // run stamp 20260512-140000 = unix:1778594400
	writeFile(t, filepath.Join(root, "badmanifest", "fleet-backup-manifest.json"), "{}")
	writeFile(t, filepath.Join(root, "badplan", "backup-plan.json"), "{}")
	writeFile(t, filepath.Join(root, "notabackup", "README"), "x")
	writeFile(t, filepath.Join(root, "file.txt"), "x")

	r := runCLI(t, "backup", "list", "--root", root)
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 2+5, r.stdout)
	assert.Regexp(t, `^#\s+DIR\s+BACKUP_ID\s+FLEET\s+CREATED_AT\s+MEMBERS\s+STATUS$`, lines[0])
	assert.Regexp(t, `^1\s+\S+/new\s+\S+\s+demo\s+12/05/2026 15:33\s+3\s+ok$`, lines[2])
	assert.Regexp(t, `^2\s+\S+/planned\s+plan-demo-20260512-140000\s+demo\s+20260512-140000\s+\d+\s+dry-run$`, lines[3])
	assert.Regexp(t, `^3\s+\S+/old\s+.*\s+ok$`, lines[4])
	assert.Contains(t, r.stdout, "invalid-manifest")
	assert.Contains(t, r.stdout, "invalid-plan")
	assert.NotContains(t, r.stdout, "notabackup")

	r = runCLI(t, "backup", "list", "--root", root, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"status": "ok"`)
	assert.Contains(t, r.stdout, `"complete": true`)
	assert.Contains(t, r.stdout, `"left_stopped": []`)
}

// TestBackupListEmptyRoots: a missing root or a file lists nothing (exit 0).
func TestBackupListEmptyRoots(t *testing.T) {
	base := t.TempDir()
	writeFile(t, filepath.Join(base, "f"), "x")
	for _, root := range []string{filepath.Join(base, "missing"), filepath.Join(base, "f")} {
		r := runCLI(t, "backup", "list", "--root", root)
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Equal(t, 2, strings.Count(r.stdout, "\n"), r.stdout)
		r = runCLI(t, "backup", "list", "--root", root, "--json")
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Equal(t, "[]\n", r.stdout)
	}
	r := runCLI(t, "backup", "list", "extra")
	assert.Equal(t, exitUsage, r.code)
}

// TestBackupInspect: 0.35.1's three tables in text, the inspect report in
// JSON, and a clear error on a layout without a plan.
func TestBackupInspect(t *testing.T) {
	dir := t.TempDir()
	goldenBackup(t, dir)
	r := runCLI(t, "backup", "inspect", "--dir", dir)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Plan: plan-demo-20260512-140000\nRun:  run-demo-20260512-140000\n")
	assert.Regexp(t, `(?m)^STATUS\s+FLEET\s+NETWORK\s+SCOPE\s+TARGETS\s+OPERATIONS\s+NEXT$`, r.stdout)
	assert.Regexp(t, `(?m)^complete\s+demo\s+local\s+\S+\s+3\s+\d+\s+-$`, r.stdout)
	assert.Regexp(t, `(?m)^ROLE\s+CANISTER_ID\s+PARENT\s+MODULE_HASH\s+DEPTH\s+CONTROL\s+SNAPSHOT_READ$`, r.stdout)
	assert.Contains(t, r.stdout, "operator-controller/proven")
	assert.Regexp(t, `(?m)^SEQ\s+KIND\s+TARGET\s+STATE\s+REASONS$`, r.stdout)
	assert.Regexp(t, `(?m)^\d+\s+finalize-manifest\s+-\s+completed$`, r.stdout)

	r = runCLI(t, "backup", "inspect", "--dir", dir, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	for _, key := range []string{`"layout_status": "complete"`, `"scope": `, `"targets": [`, `"operations": [`, `"execution": {`, `"left_stopped": []`} {
		assert.Contains(t, r.stdout, key)
	}

	empty := t.TempDir()
	r = runCLI(t, "backup", "inspect", "--dir", empty)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "backup-plan.json is missing")
	r = runCLI(t, "backup", "inspect")
	assert.Equal(t, exitUsage, r.code)
}
