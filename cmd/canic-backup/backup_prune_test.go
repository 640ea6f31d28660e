package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/internal/golden"
)

// pruneFixture is a root with four complete backups (b1 oldest .. b4
// newest), a newer incomplete one, and a dry-run.
func pruneFixture(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for i, name := range []string{"b1", "b2", "b3", "b4"} {
		completeBackup(t, filepath.Join(root, name), "unix:"+strconv.Itoa(1778000000+i*1000))
	}
	// Incomplete: a manifest but the journal is the failed run's.
	completeBackup(t, filepath.Join(root, "b5-incomplete"), "unix:1778900000")
	writeFile(t, filepath.Join(root, "b5-incomplete", "backup-execution-journal.json"),
		string(golden.Read(t, "backup/extra/failed-run.backup-execution-journal.json")))
	dryRunBackup(t, filepath.Join(root, "planned"))
	return root
}

// TestPruneKeepsNewestAndIncomplete: --keep-last 2 deletes b1 and b2 only;
// the incomplete and dry-run layouts stay; --dry-run deletes nothing.
func TestPruneKeepsNewestAndIncomplete(t *testing.T) {
	root := pruneFixture(t)
	r := runCLI(t, "backup", "prune", "--root", root, "--keep-last", "2", "--dry-run")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^would delete\s+\S+/b1\s`, r.stdout)
	assert.Regexp(t, `(?m)^would delete\s+\S+/b2\s`, r.stdout)
	assert.Regexp(t, `(?m)^keep\s+\S+/b5-incomplete\s.*not complete$`, r.stdout)
	assert.Regexp(t, `(?m)^keep\s+\S+/b4\s.*within --keep-last$`, r.stdout)
	for _, name := range []string{"b1", "b2", "b3", "b4", "b5-incomplete", "planned"} {
		assert.DirExists(t, filepath.Join(root, name), "dry run deletes nothing")
	}

	r = runCLI(t, "backup", "prune", "--root", root, "--keep-last", "2", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"dry_run": false`)
	assert.NoDirExists(t, filepath.Join(root, "b1"))
	assert.NoDirExists(t, filepath.Join(root, "b2"))
	for _, name := range []string{"b3", "b4", "b5-incomplete", "planned"} {
		assert.DirExists(t, filepath.Join(root, name))
	}
	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	assert.Len(t, entries, 4, "no leftover trash directories")
}

// TestPruneNeverDeletesNewestVerified: with --keep-last 0 the newest
// backup that verifies stays, even when newer complete backups are
// corrupt.
func TestPruneNeverDeletesNewestVerified(t *testing.T) {
	root := pruneFixture(t)
	// b4 (newest complete) is corrupt: an artifact file changed.
	writeFile(t, filepath.Join(root, "b4", demoRoot, "wasm_module.bin"), "tampered")
	r := runCLI(t, "backup", "prune", "--root", root, "--keep-last", "0")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^keep\s+\S+/b3\s.*newest verified backup$`, r.stdout)
	assert.DirExists(t, filepath.Join(root, "b3"))
	assert.NoDirExists(t, filepath.Join(root, "b4"))
	assert.NoDirExists(t, filepath.Join(root, "b1"))
	assert.DirExists(t, filepath.Join(root, "b5-incomplete"))
}

// TestPruneKeepsBackupsUnderRestore: a backup with an unfinished restore's
// reference is kept and named; an unreadable reference also keeps it.
func TestPruneKeepsBackupsUnderRestore(t *testing.T) {
	root := pruneFixture(t)
	writeFile(t, filepath.Join(root, "b1", "restores", "0123456789abcdef.json"),
		`{"reference_version":1,"restore_id":"0123456789abcdef","backup_id":"x","journal":"/tmp/j.json","started_at":"unix:1"}`)
	writeFile(t, filepath.Join(root, "b2", "restores", "bad.json"), `{`)
	r := runCLI(t, "backup", "prune", "--root", root, "--keep-last", "1")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^keep\s+\S+/b1\s.*an unfinished restore reads it \(0123456789abcdef\)$`, r.stdout)
	assert.Regexp(t, `(?m)^keep\s+\S+/b2\s.*invalid restore reference`, r.stdout)
	assert.DirExists(t, filepath.Join(root, "b1"))
	assert.DirExists(t, filepath.Join(root, "b2"))
	assert.NoDirExists(t, filepath.Join(root, "b3"))
	assert.DirExists(t, filepath.Join(root, "b4"))
}

func TestPruneUsage(t *testing.T) {
	root := t.TempDir()
	r := runCLI(t, "backup", "prune", "--root", root)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--keep-last")
	r = runCLI(t, "backup", "prune", "--root", root, "--keep-last", "-1")
	assert.Equal(t, exitUsage, r.code)
}
