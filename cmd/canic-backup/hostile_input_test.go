package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/restore"
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

// fullSlotsExecutor fails uploads as a plugin reports a full snapshot
// slot: a code and a message, no output.
type fullSlotsExecutor struct{ *cliExecutor }

func (fullSlotsExecutor) UploadSnapshot(ctx context.Context, target, dir string) (string, error) {
	return "", &restore.CommandError{Status: "internal",
		Err: fmt.Errorf("executor %q: canister %s already has the maximum number of snapshots (10)", "sim-agent", target)}
}

// The executor's message reaches stderr, not only a bare status.
func TestRestoreRunPrintsExecutorMessage(t *testing.T) {
	restoreWorkdir(t)
	r := runRestoreCLI(t, nil, 0, "restore", "apply", "--plan", "plan.json", "--backup-dir",
		"backups/fleet-demo-20260512-140000", "--dry-run", "--journal-out", "journal.json")
	require.Equal(t, 0, r.code, r.stderr)
	x := fullSlotsExecutor{&cliExecutor{IcpPreview: restore.IcpPreview{Network: "local"}, stopped: map[string]bool{}}}
	open := func(ctx context.Context, envName string) (restore.RestoreExecutor, func() error, error) {
		return x, func() error { return nil }, nil
	}
	r = runRestoreCLI(t, open, 1778598000, "restore", "run", "--journal", "journal.json", "--execute")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "status=internal")
	assert.Contains(t, r.stderr, "executor: executor \"sim-agent\": canister r7inp-6aaaa-aaaaa-aaabq-cai already has the maximum number of snapshots (10)")
}
