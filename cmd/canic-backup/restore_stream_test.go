package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/restore/usecase"
)

// streamObserver is cliExecutor that records, at each upload, which
// artifact directories exist under the backup directory root (not the
// runner's restores/ references), and fails
// the upload (as a real executor would) when its directory is missing.
type streamObserver struct {
	*cliExecutor
	root      string
	uploads   []string   // the uploaded artifact (named by its checksum)
	present   [][]string // artifact directories under root at each upload
	interrupt string     // artifact whose upload ends once with an unknown outcome
	inBackup  int        // uploads handed a path inside root (not a staged copy)
}

func newStreamObserver(root string) *streamObserver {
	return &streamObserver{cliExecutor: &cliExecutor{IcpPreview: restore.IcpPreview{Network: "local"}, stopped: map[string]bool{}}, root: root}
}

// artifactOf names the golden artifact whose bytes dir holds (the runner
// hands uploads a staged copy, not the artifact's own directory).
func (x *streamObserver) artifactOf(ctx context.Context, dir string) string {
	sum, err := checksum.FromPath(ctx, dir)
	if err != nil {
		return "unreadable " + dir
	}
	src := filepath.Join("backups", goldenBackupName)
	ents, _ := os.ReadDir(src)
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if s, err := checksum.FromPath(ctx, filepath.Join(src, e.Name())); err == nil && s == sum {
			return e.Name()
		}
	}
	return "unknown " + dir
}

func (x *streamObserver) UploadSnapshot(ctx context.Context, target, dir string) (string, error) {
	ents, err := os.ReadDir(x.root)
	if err != nil {
		return "", err
	}
	var dirs []string
	for _, e := range ents {
		if e.IsDir() && e.Name() != restore.ReferencesDir {
			dirs = append(dirs, e.Name())
		}
	}
	sort.Strings(dirs)
	x.present = append(x.present, dirs)
	if rel, err := filepath.Rel(x.root, dir); err == nil && filepath.IsLocal(rel) {
		x.inBackup++
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		x.uploads = append(x.uploads, "missing")
		return "", &restore.CommandError{Status: "1", Err: fmt.Errorf("artifact directory %s: %v", dir, err)}
	}
	name := x.artifactOf(ctx, dir)
	x.uploads = append(x.uploads, name)
	if x.interrupt != "" && x.interrupt == name {
		x.interrupt = ""
		return "", errors.New("connection to the executor lost")
	}
	return x.cliExecutor.UploadSnapshot(ctx, target, dir)
}

func (x *streamObserver) opener() openRestoreExecutor {
	return func(ctx context.Context, envName string) (restore.RestoreExecutor, func() error, error) {
		return x, func() error { return nil }, nil
	}
}

// streamSetup lays out the golden backup as the dir store "local" holds it
// and a copy at copy/NAME with its documents only (as `restore apply
// --store` leaves a fetch directory), with the journal applied against the
// full copy (so it is the one a full fetch gives). It returns the copy's
// path, the config and the artifact paths in upload order.
func streamSetup(t *testing.T) (local, cfg string, arts []string) {
	t.Helper()
	restoreWorkdir(t)
	cfg = dirStoreConfig(t)
	local = filepath.Join("copy", goldenBackupName)
	goldenBackup(t, local)
	r := runRestoreCLI(t, nil, 0, "restore", "plan", "--backup-dir", local, "--mapping", "mapping.json", "--out", "plan.json")
	require.Equal(t, 0, r.code, r.stderr)
	r = runRestoreCLI(t, nil, 0, "restore", "apply", "--backup-dir", local, "--plan", "plan.json", "--dry-run",
		"--journal-out", "journal.json")
	require.Equal(t, 0, r.code, r.stderr)
	j, err := restore.ReadJournal("journal.json")
	require.NoError(t, err)
	for _, op := range j.Operations {
		if op.Operation == restore.OpUploadSnapshot {
			arts = append(arts, *op.ArtifactPath)
			require.NoError(t, os.RemoveAll(filepath.Join(local, *op.ArtifactPath)))
		}
	}
	require.Len(t, arts, 3)
	return local, cfg, arts
}

// TestRestoreStreamRun: restore run --store fetches each artifact just
// before its upload and removes it right after, so at most one artifact is
// on disk at any time; every operation completes and nothing is left.
func TestRestoreStreamRun(t *testing.T) {
	local, cfg, arts := streamSetup(t)
	x := newStreamObserver(local)
	r := runRestoreCLI(t, x.opener(), 1778598000, "restore", "run", "--config", cfg, "--journal", "journal.json",
		"--execute", "--store", "local", "--require-complete", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, arts, x.uploads)
	assert.Zero(t, x.inBackup, "uploads read a staged copy, never the fetched artifact itself")
	for i, dirs := range x.present {
		assert.Equal(t, []string{arts[i]}, dirs, "upload %d: only its own artifact is on disk", i)
	}
	assert.Contains(t, r.stdout, `"complete": true`)
	assert.NotContains(t, r.stdout, "fetched", "stdout carries only the JSON summary")
	assert.Regexp(t, `(?m)^fetched 16 objects \([0-9.]+ MiB\) from dir:\S+ in \S+ \(4 of them already present\)$`, r.stderr,
		"one summary line: 4 documents kept, 12 artifact files fetched")
	for _, ap := range arts {
		assert.NoDirExists(t, filepath.Join(local, ap))
	}
	assert.FileExists(t, filepath.Join(local, layout.ManifestFile), "documents stay")
	assert.NoFileExists(t, "journal.json"+usecase.FetchedSuffix)
	j, err := restore.ReadJournal("journal.json")
	require.NoError(t, err)
	assert.True(t, j.IsComplete())
}

// TestRestoreStreamKeepFetched: with --keep-fetched every fetched artifact
// stays, byte for byte the store's.
func TestRestoreStreamKeepFetched(t *testing.T) {
	local, cfg, arts := streamSetup(t)
	x := newStreamObserver(local)
	r := runRestoreCLI(t, x.opener(), 1778598000, "restore", "run", "--config", cfg, "--journal", "journal.json",
		"--execute", "--store", "local", "--require-complete", "--keep-fetched")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, arts, x.uploads)
	for _, ap := range arts {
		assert.Equal(t, treeDigest(t, filepath.Join("backups", goldenBackupName, ap)), treeDigest(t, filepath.Join(local, ap)), ap)
	}
	assert.NoFileExists(t, "journal.json"+usecase.FetchedSuffix)
}

// TestRestoreStreamCrashLeftovers: a run that died between fetching and
// removing left artifacts listed in JOURNAL.fetched. The next run removes
// the one whose upload is done, reuses the one still to upload (already
// present, not downloaded again) and removes it after its upload, and
// never touches an artifact it did not fetch.
func TestRestoreStreamCrashLeftovers(t *testing.T) {
	local, cfg, arts := streamSetup(t)
	x := newStreamObserver(local)
	r := runRestoreCLI(t, x.opener(), 1778598000, "restore", "run", "--config", cfg, "--journal", "journal.json",
		"--execute", "--store", "local", "--max-steps", "1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, arts[:1], x.uploads)
	assert.NoDirExists(t, filepath.Join(local, arts[0]))

	// As a crash would leave it: arts[0] (uploaded) and arts[1] (fetched,
	// not uploaded) listed as fetched; arts[2] is the operator's own copy.
	for _, ap := range arts {
		copyTree(t, filepath.Join("backups", goldenBackupName, ap), filepath.Join(local, ap))
	}
	require.NoError(t, layout.WriteJSONAtomic("journal.json"+usecase.FetchedSuffix,
		usecase.FetchedRecord{BackupRoot: local, Artifacts: []string{arts[0], arts[1]}}))

	x = newStreamObserver(local)
	r = runRestoreCLI(t, x.opener(), 1778598100, "restore", "run", "--config", cfg, "--journal", "journal.json",
		"--execute", "--store", "local", "--require-complete")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, arts[1:], x.uploads)
	want1 := []string{arts[1], arts[2]}
	sort.Strings(want1)
	assert.Equal(t, want1, x.present[0], "the finished upload's leftover was removed before anything ran")
	assert.Equal(t, []string{arts[2]}, x.present[1], "the reused leftover was removed after its upload")
	assert.Regexp(t, `\(12 of them already present\)`, r.stderr, "4 documents + 2 artifacts of 4 files kept, nothing downloaded")
	assert.NoDirExists(t, filepath.Join(local, arts[0]))
	assert.NoDirExists(t, filepath.Join(local, arts[1]))
	assert.DirExists(t, filepath.Join(local, arts[2]), "not fetched by the command: kept")
	assert.NoFileExists(t, "journal.json"+usecase.FetchedSuffix)
}

// TestRestoreStreamInterruptedUpload: an upload whose outcome is unknown
// (the executor went away) keeps its fetched artifact, listed in
// JOURNAL.fetched; after --unclaim-pending the next run reuses it without
// downloading it again, removes it once uploaded and finishes clean.
func TestRestoreStreamInterruptedUpload(t *testing.T) {
	local, cfg, arts := streamSetup(t)
	x := newStreamObserver(local)
	x.interrupt = arts[1]
	r := runRestoreCLI(t, x.opener(), 1778598000, "restore", "run", "--config", cfg, "--journal", "journal.json",
		"--execute", "--store", "local")
	require.Equal(t, exitFailure, r.code, r.stderr)
	assert.Contains(t, r.stderr, "was left pending")
	assert.Equal(t, arts[:2], x.uploads)
	assert.NoDirExists(t, filepath.Join(local, arts[0]))
	assert.DirExists(t, filepath.Join(local, arts[1]), "kept for the retry")
	data, err := os.ReadFile("journal.json" + usecase.FetchedSuffix)
	require.NoError(t, err)
	assert.Contains(t, string(data), arts[1])

	r = runRestoreCLI(t, nil, 1778598050, "restore", "run", "--journal", "journal.json", "--unclaim-pending")
	require.Equal(t, 0, r.code, r.stderr)
	x = newStreamObserver(local)
	r = runRestoreCLI(t, x.opener(), 1778598100, "restore", "run", "--config", cfg, "--journal", "journal.json",
		"--execute", "--store", "local", "--require-complete")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, arts[1:], x.uploads)
	for i, dirs := range x.present {
		assert.Equal(t, []string{arts[1+i]}, dirs, "upload %d: only its own artifact is on disk", i)
	}
	assert.Regexp(t, `\(8 of them already present\)`, r.stderr, "4 documents + the kept artifact's 4 files")
	for _, ap := range arts {
		assert.NoDirExists(t, filepath.Join(local, ap))
	}
	assert.NoFileExists(t, "journal.json"+usecase.FetchedSuffix)
}

// TestRestoreStreamFetchFails: an artifact whose stored bytes no longer
// match the manifest fails its upload without running it (status
// fetch-failed, the store's key named, exit 3) and leaves no partial copy.
func TestRestoreStreamFetchFails(t *testing.T) {
	local, cfg, arts := streamSetup(t)
	stored := filepath.Join("backups", goldenBackupName, arts[1])
	var bad string
	require.NoError(t, filepath.WalkDir(stored, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && bad == "" {
			bad = p
		}
		return err
	}))
	require.NotEmpty(t, bad)
	require.NoError(t, os.WriteFile(bad, []byte("tampered"), 0o644))

	x := newStreamObserver(local)
	r := runRestoreCLI(t, x.opener(), 1778598000, "restore", "run", "--config", cfg, "--journal", "journal.json",
		"--execute", "--store", "local")
	assert.Equal(t, exitVerifyFailed, r.code, r.stderr)
	t.Logf("fetch failure: %s", r.stderr)
	assert.Contains(t, r.stderr, "status=fetch-failed")
	assert.Contains(t, r.stderr, goldenBackupName+"/"+arts[1])
	assert.Equal(t, arts[:1], x.uploads, "the upload of the bad artifact never reached the executor")
	j, err := restore.ReadJournal("journal.json")
	require.NoError(t, err)
	require.Equal(t, 1, j.FailedOperations)
	for _, op := range j.Operations {
		if op.State == restore.StateFailed {
			assert.Equal(t, *op.ArtifactPath, arts[1])
		}
	}
	last := j.OperationReceipts[len(j.OperationReceipts)-1]
	require.NotNil(t, last.Stderr)
	assert.Contains(t, last.Stderr.Text, arts[1], "the receipt keeps the fetch error")
	for _, ap := range arts {
		assert.NoDirExists(t, filepath.Join(local, ap))
	}
}
