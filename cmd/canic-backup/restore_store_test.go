package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/restore/usecase"
	"github.com/canic-backup/canic-backup/internal/golden"
)

// goldenBackupName is the golden backup's directory name under backups/.
const goldenBackupName = "fleet-demo-20260512-140000"

// dirStoreConfig writes canic.toml in the working directory with the dir
// store "local" whose path is backups/ (the restore workdir's backups root).
func dirStoreConfig(t *testing.T) string {
	t.Helper()
	writeFile(t, "canic.toml", "version = 1\n\n[stores.local]\nkind = \"dir\"\npath = \"backups\"\n")
	return "canic.toml"
}

// cliExecutorOpener returns a fresh in-memory executor for `restore run`.
func cliExecutorOpener(x *cliExecutor) openRestoreExecutor {
	return func(ctx context.Context, envName string) (restore.RestoreExecutor, func() error, error) {
		return x, func() error { return nil }, nil
	}
}

// TestRestoreStoreDir: with a dir store, restore plan/apply --store work on
// <path>/<backup> in place (nothing fetched) and give the same plan as
// --backup-dir; restore run --execute --store completes.
func TestRestoreStoreDir(t *testing.T) {
	restoreWorkdir(t)
	cfg := dirStoreConfig(t)
	r := runRestoreCLI(t, nil, 0, "restore", "plan", "--config", cfg, "--store", "local", "--backup", goldenBackupName,
		"--require-verified", "--mapping", "mapping.json", "--out", "out/plan.json", "--require-restore-ready")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, string(golden.Read(t, "restore/plan.json")), readFile(t, "out/plan.json"))
	assert.NotContains(t, r.stderr, "fetched", "a dir store is read in place")

	r = runRestoreCLI(t, nil, 0, "restore", "apply", "--config", cfg, "--store", "local", "--backup", goldenBackupName,
		"--plan", "out/plan.json", "--dry-run", "--out", "out/dry.json", "--journal-out", "out/journal.json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stderr, "fetched")
	j, err := restore.ReadJournal("out/journal.json")
	require.NoError(t, err)
	require.NotNil(t, j.BackupRoot)
	assert.Equal(t, filepath.Join("backups", goldenBackupName), *j.BackupRoot,
		"the dir store's <path>/<backup> (a relative path resolves against the config's directory)")
	assert.True(t, j.Ready, "every artifact found and checksummed: %v", j.BlockedReasons)
	assert.True(t, string(golden.Read(t, "restore/apply-journal-initial.json")) == withoutChecksumExtension(readFile(t, "out/journal.json")),
		"the journal is the one --backup-dir writes")

	x := &cliExecutor{IcpPreview: restore.IcpPreview{Network: "local"}, stopped: map[string]bool{}}
	r = runRestoreCLI(t, cliExecutorOpener(x), 1778598000, "restore", "run", "--config", cfg, "--journal", "out/journal.json",
		"--execute", "--store", "local", "--require-complete")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "15/15 operations completed")
	assert.NotContains(t, r.stderr, "fetched")
}

// TestRestoreStoreRunRefetches: a journal whose backup directory lost an
// artifact (a fetch directory cleaned up between apply and run) gets it
// back from the store just before its upload, and the run completes. The
// artifact this run fetched is removed once uploaded; the ones that were
// already there (not the command's to remove) stay.
func TestRestoreStoreRunRefetches(t *testing.T) {
	restoreWorkdir(t)
	cfg := dirStoreConfig(t)
	local := filepath.Join("copy", goldenBackupName)
	goldenBackup(t, local)
	r := runRestoreCLI(t, nil, 0, "restore", "plan", "--backup-dir", local, "--mapping", "mapping.json", "--out", "plan.json")
	require.Equal(t, 0, r.code, r.stderr)
	r = runRestoreCLI(t, nil, 0, "restore", "apply", "--backup-dir", local, "--plan", "plan.json", "--dry-run",
		"--journal-out", "journal.json")
	require.Equal(t, 0, r.code, r.stderr)

	lost := "renrk-eyaaa-aaaaa-aaada-cai"
	art := filepath.Join(local, lost)
	kept := map[string]map[string]string{}
	for _, id := range []string{"r7inp-6aaaa-aaaaa-aaabq-cai", "rno2w-sqaaa-aaaaa-aaacq-cai"} {
		kept[id] = treeDigest(t, filepath.Join(local, id))
	}
	require.NoError(t, os.RemoveAll(art))

	x := &dirCheckingExecutor{cliExecutor: &cliExecutor{IcpPreview: restore.IcpPreview{Network: "local"}, stopped: map[string]bool{}}}
	r = runRestoreCLI(t, x.opener(), 1778598000, "restore", "run", "--config", cfg, "--journal", "journal.json",
		"--execute", "--store", "local", "--require-complete")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `fetched \d+ objects \([0-9.]+ MiB\) from dir:\S+ in \S+`, r.stderr)
	assert.Contains(t, r.stdout, "15/15 operations completed")
	assert.Len(t, x.uploaded, 3, "every member's artifact directory was there when uploaded")
	assert.NoDirExists(t, art, "the artifact the run fetched is removed once uploaded")
	for id, want := range kept {
		assert.Equal(t, want, treeDigest(t, filepath.Join(local, id)), "%s was there before the run: kept as it was", id)
	}
	assert.NoFileExists(t, "journal.json"+usecase.FetchedSuffix)
}

// dirCheckingExecutor is cliExecutor whose upload fails unless the
// artifact directory exists, as a real executor's would.
type dirCheckingExecutor struct {
	*cliExecutor
	uploaded []string
}

func (x *dirCheckingExecutor) UploadSnapshot(ctx context.Context, target, dir string) (string, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", &restore.CommandError{Status: "1", Err: fmt.Errorf("artifact directory %s: %v", dir, err)}
	}
	x.uploaded = append(x.uploaded, dir)
	return x.cliExecutor.UploadSnapshot(ctx, target, dir)
}

func (x *dirCheckingExecutor) opener() openRestoreExecutor {
	return func(ctx context.Context, envName string) (restore.RestoreExecutor, func() error, error) {
		return x, func() error { return nil }, nil
	}
}

// treeDigest maps every file below dir (relative path) to its SHA-256.
func treeDigest(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	}))
	require.NotEmpty(t, out, dir)
	return out
}

// TestRestoreStoreFlagErrors: --store needs --backup, --backup must be one
// name, --manifest excludes --store, an unknown store is named.
func TestRestoreStoreFlagErrors(t *testing.T) {
	restoreWorkdir(t)
	cfg := dirStoreConfig(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"restore", "plan", "--config", cfg, "--store", "local"}, 2, "--store needs --backup NAME"},
		{[]string{"restore", "plan", "--config", cfg, "--store", "local", "--backup", "a/b"}, 2, `--backup "a/b"`},
		{[]string{"restore", "plan", "--config", cfg, "--store", "local", "--backup", "x", "--manifest", "m.json"}, 2, "--manifest and --store exclude each other"},
		{[]string{"restore", "plan", "--config", cfg, "--store", "nope", "--backup", "x"}, 1, `"nope"`},
		{[]string{"restore", "apply", "--config", cfg, "--store", "local", "--plan", "plan.json", "--dry-run"}, 2, "--store needs --backup NAME"},
		{[]string{"restore", "plan", "--config", cfg, "--store", "local", "--backup", "missing-backup"}, 1, "missing-backup"},
		{[]string{"restore", "plan", "--config", cfg, "--backup", "x"}, 2, "no store is named"},
	} {
		r := runRestoreCLI(t, nil, 0, tc.args...)
		assert.Equal(t, tc.code, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.want, tc.args)
	}
	// A journal applied without a backup directory has nowhere to fetch to.
	r := runRestoreCLI(t, nil, 0, "restore", "apply", "--plan", "plan.json", "--dry-run", "--journal-out", "blocked.json")
	require.Equal(t, 0, r.code, r.stderr)
	x := &cliExecutor{IcpPreview: restore.IcpPreview{Network: "local"}, stopped: map[string]bool{}}
	r = runRestoreCLI(t, cliExecutorOpener(x), 0, "restore", "run", "--config", cfg, "--journal", "blocked.json", "--execute", "--store", "local")
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "records no backup_root")
	assert.Empty(t, x.stopped, "nothing executed")
}
