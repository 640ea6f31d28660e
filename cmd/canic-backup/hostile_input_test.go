package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A directory that is not there (or is a file) is an operator error, exit
// 1 naming it, not a corrupt backup (exit 3).
func TestVerifyMissingDirectoryExitsOne(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nonexistent")
	r := runMain(t, "backup", "verify", "--dir", missing)
	assert.Equal(t, exitFailure, r.code, r.stderr)
	assert.Contains(t, r.stderr, missing+": no such directory")

	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o600))
	r = runMain(t, "backup", "verify", "--dir", file)
	assert.Equal(t, exitFailure, r.code, r.stderr)
	assert.Contains(t, r.stderr, file+": not a directory")
}

// A backup entry that is a symlink is never locked or deleted through:
// its target gets no .lock and stays whole; the entry is kept, named.
func TestPruneRefusesSymlinkedEntry(t *testing.T) {
	root := pruneFixture(t)
	outside := filepath.Join(t.TempDir(), "elsewhere")
	completeBackup(t, outside, "unix:1777000000") // older than every backup in root
	before := treeDigest(t, outside)
	require.NoError(t, os.Symlink(outside, filepath.Join(root, "b0-link")))

	r := runCLI(t, "backup", "prune", "--root", root, "--keep-last", "2")
	assert.NotEqual(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout+r.stderr, filepath.Join(root, "b0-link"))
	assert.Contains(t, r.stdout+r.stderr, "is a symbolic link")
	assert.NoFileExists(t, filepath.Join(outside, ".lock"), "nothing written into the link's target")
	assert.Equal(t, before, treeDigest(t, outside))
	_, err := os.Lstat(filepath.Join(root, "b0-link"))
	assert.NoError(t, err, "the link itself is kept")
	assert.NoDirExists(t, filepath.Join(root, "b1"), "the real old backups are still pruned")
}
