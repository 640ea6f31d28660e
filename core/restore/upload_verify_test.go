package restore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/layout"
)

const (
	rootCanister = "r7inp-6aaaa-aaaaa-aaabq-cai"
	appCanister  = "renrk-eyaaa-aaaaa-aaada-cai"
)

// appliedJournal writes the journal `restore apply` writes for the golden
// plan and backup (with checksums) and returns its path.
func appliedJournal(t *testing.T) string {
	t.Helper()
	p, err := BuildPlan(readGoldenManifest(t), readGoldenMapping(t, "mapping.json"))
	require.NoError(t, err)
	d, err := BuildDryRun(context.Background(), p, goldenBackupRoot)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "restore-apply-journal.json")
	require.NoError(t, layout.WriteJSONAtomic(path, NewJournal(d)))
	return path
}

// stagingRecorder is the fake executor recording what each upload was
// handed: the path and the permissions of it and of its files.
type stagingRecorder struct {
	*fakeExecutor
	mu    sync.Mutex
	dirs  []string
	modes map[string]fs.FileMode
}

func (s *stagingRecorder) UploadSnapshot(ctx context.Context, target, dir string) (string, error) {
	s.mu.Lock()
	s.dirs = append(s.dirs, dir)
	_ = filepath.WalkDir(filepath.Dir(dir), func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			info, ierr := os.Lstat(p)
			if ierr == nil {
				s.modes[p] = info.Mode()
			}
		}
		return nil
	})
	s.mu.Unlock()
	return s.fakeExecutor.UploadSnapshot(ctx, target, dir)
}

func uploads(f *fakeExecutor) []string {
	var out []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, "upload ") {
			out = append(out, c)
		}
	}
	return out
}

func stagingLeft(t *testing.T, journal string) []string {
	t.Helper()
	dir, pattern := stagingPattern(journal)
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	require.NoError(t, err)
	return m
}

// A byte of an artifact changed between `restore apply` and `restore run`:
// the run refuses before any upload, names the artifact and the journal,
// and records the refusal; the same for a 0.35.1 journal (no checksums),
// whose expected checksum is re-derived from the manifest.
func TestRunRefusesArtifactChangedAfterApply(t *testing.T) {
	for _, tc := range []struct {
		name      string
		journal   func(t *testing.T) string
		namesFile bool
	}{
		{"journal with checksums", appliedJournal, true},
		{"0.35.1 journal", func(t *testing.T) string { return copyJournal(t, "apply-journal-initial.json") }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			goldenWorkdir(t)
			j := tc.journal(t)
			file := filepath.Join(goldenBackupRoot, rootCanister, "wasm_module.bin")
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			data[len(data)/2] ^= 0x01
			require.NoError(t, os.WriteFile(file, data, 0o644))

			f := newFake()
			_, err = runAt(t, j, ModeExecute, 0, f, 0)
			require.Error(t, err)
			assert.ErrorIs(t, err, CodeArtifactChecksum)
			assert.Contains(t, err.Error(), filepath.Join(goldenBackupRoot, rootCanister))
			assert.Contains(t, err.Error(), j)
			assert.Contains(t, err.Error(), "nothing was uploaded")
			if tc.namesFile {
				assert.Contains(t, err.Error(), "file "+file+" differs", "the journal's file digests name the changed file")
			} else {
				assert.NotContains(t, err.Error(), "file ", "a 0.35.1 journal records no file digests")
			}
			assert.Empty(t, uploads(f), "no upload may be sent")
			assert.Empty(t, stagingLeft(t, j))

			jr, err := ReadJournal(j)
			require.NoError(t, err)
			assert.Equal(t, StateFailed, jr.Operations[0].State)
			assert.Equal(t, []string{ReasonArtifactChecksumMismatch}, jr.Operations[0].BlockingReasons)
			require.Len(t, jr.OperationReceipts, 1)
			assert.Equal(t, StatusArtifactRefused, *jr.OperationReceipts[0].Status)
			assert.Contains(t, jr.OperationReceipts[0].Stderr.Text, "changed since restore apply verified it")
		})
	}
}

// Editing the journal to upload another member's artifact is refused,
// whether or not the checksum was edited with it: the checksum and the
// artifact are bound to the member by the manifest.
func TestRunRefusesAnotherMembersArtifact(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(op, other *JournalOperation)
		reason string
	}{
		{"artifact path only", func(op, other *JournalOperation) { op.ArtifactPath = other.ArtifactPath }, "is not the artifact of " + rootCanister},
		{"artifact path and checksum", func(op, other *JournalOperation) {
			op.ArtifactPath, op.Checksum = other.ArtifactPath, other.Checksum
		}, "is not the artifact of " + rootCanister},
		{"checksum only", func(op, other *JournalOperation) { op.Checksum = other.Checksum }, "is not the checksum of " + rootCanister},
	} {
		t.Run(tc.name, func(t *testing.T) {
			goldenWorkdir(t)
			j := appliedJournal(t)
			jr, err := ReadJournal(j)
			require.NoError(t, err)
			require.Equal(t, appCanister, jr.Operations[1].SourceCanister)
			tc.edit(&jr.Operations[0], &jr.Operations[1])
			require.NoError(t, layout.WriteJSONAtomic(j, jr))

			f := newFake()
			_, err = runAt(t, j, ModeExecute, 0, f, 0)
			require.Error(t, err)
			assert.ErrorIs(t, err, CodeArtifactBinding)
			assert.Contains(t, err.Error(), tc.reason)
			assert.Contains(t, err.Error(), j)
			assert.Empty(t, uploads(f))
			jr, err = ReadJournal(j)
			require.NoError(t, err)
			assert.Equal(t, []string{ReasonArtifactNotBound}, jr.Operations[0].BlockingReasons)
		})
	}
}

// Each upload is handed a private copy (0700 directories, 0600 files)
// outside the backup, never the backup's artifact; receipts record the
// checksum; no staging directory outlives the run; loads carry the
// checksum of the upload they load.
func TestRunUploadsOnlyTheStagedCopy(t *testing.T) {
	goldenWorkdir(t)
	j := appliedJournal(t)
	rec := &stagingRecorder{fakeExecutor: newFake(), modes: map[string]fs.FileMode{}}
	resp, err := runAt(t, j, ModeExecute, 0, rec, 0)
	require.NoError(t, err)
	assert.True(t, resp.Complete)
	require.Len(t, rec.dirs, 3)
	backup, err := filepath.Abs(goldenBackupRoot)
	require.NoError(t, err)
	for _, d := range rec.dirs {
		assert.False(t, strings.HasPrefix(d, backup), "upload of %s reads the backup", d)
		assert.Equal(t, filepath.Dir(j), filepath.Dir(filepath.Dir(d)), "staging lives beside the journal")
	}
	require.NotEmpty(t, rec.modes)
	for p, m := range rec.modes {
		if m.IsDir() {
			assert.Equal(t, fs.FileMode(0o700), m.Perm(), p)
		} else {
			assert.True(t, m.IsRegular(), p)
			assert.Equal(t, fs.FileMode(0o600), m.Perm(), p)
		}
	}
	assert.Empty(t, stagingLeft(t, j))
	jr, err := ReadJournal(j)
	require.NoError(t, err)
	for _, rc := range jr.OperationReceipts {
		op := jr.operation(rc.Sequence)
		if op.Operation == OpUploadSnapshot || op.Operation == OpLoadSnapshot {
			require.NotNil(t, rc.Checksum, "receipt of operation %d", rc.Sequence)
			assert.Equal(t, *op.Checksum, *rc.Checksum)
		} else {
			assert.Nil(t, rc.Checksum)
		}
	}
}

// A staging directory a killed run left behind is removed by the next run.
func TestRunSweepsLeftoverStaging(t *testing.T) {
	goldenWorkdir(t)
	j := appliedJournal(t)
	dir, pattern := stagingPattern(j)
	left, err := os.MkdirTemp(dir, pattern)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(left, "secret"), []byte("x"), 0o600))
	_, err = runAt(t, j, ModeExecute, 1, newFake(), 0)
	require.NoError(t, err)
	assert.NoDirExists(t, left)
}

// A load whose checksum is not that of the upload it would load has no
// command: the uploaded snapshot of one artifact is never loaded as
// another's.
func TestLoadChecksumMustMatchItsUpload(t *testing.T) {
	goldenWorkdir(t)
	j := appliedJournal(t)
	_, err := runAt(t, j, ModeExecute, 6, newFake(), 0)
	require.NoError(t, err)
	jr, err := ReadJournal(j)
	require.NoError(t, err)
	load := jr.operation(6)
	require.Equal(t, OpLoadSnapshot, load.Operation)
	_, ok := jr.UploadedSnapshotIDForLoad(load)
	assert.True(t, ok)
	other := *jr.operation(7).Checksum
	load.Checksum = &other
	_, ok = jr.UploadedSnapshotIDForLoad(load)
	assert.False(t, ok)
}

// Apply records each upload's file digests, which add up to its checksum.
func TestJournalRecordsFileDigests(t *testing.T) {
	goldenWorkdir(t)
	jr, err := ReadJournal(appliedJournal(t))
	require.NoError(t, err)
	for _, op := range jr.Operations {
		if op.Operation != OpUploadSnapshot {
			assert.Empty(t, op.Files, "operation %d", op.Sequence)
			continue
		}
		require.NotEmpty(t, op.Files, "operation %d", op.Sequence)
		var ds []checksum.FileDigest
		for _, f := range op.Files {
			ds = append(ds, checksum.FileDigest{Rel: f.Path, SHA256: f.SHA256})
		}
		assert.Equal(t, *op.Checksum, checksum.FromFileDigests(ds).Hash, "operation %d", op.Sequence)
	}
	assert.Contains(t, []string{jr.Operations[0].Files[0].Path, jr.Operations[0].Files[1].Path}, "memory/heap.bin")
}

// A file added to or removed from an artifact after apply is named too.
func TestChangedFileNamesAddedAndMissing(t *testing.T) {
	rec := []ArtifactFile{{Path: "a.bin", SHA256: strings.Repeat("a", 64)}, {Path: "m/x.bin", SHA256: strings.Repeat("b", 64)}}
	same := []checksum.FileDigest{{Rel: "a.bin", SHA256: strings.Repeat("a", 64)}, {Rel: "m/x.bin", SHA256: strings.Repeat("b", 64)}}
	assert.Empty(t, changedFile("/b/art", rec, same))
	assert.Equal(t, "file /b/art/m/x.bin is missing", changedFile("/b/art", rec, same[:1]))
	assert.Equal(t, "file /b/art/b.bin was added", changedFile("/b/art", rec, append(same, checksum.FileDigest{Rel: "b.bin", SHA256: strings.Repeat("c", 64)})))
	assert.Empty(t, changedFile("/b/art", nil, same), "no digests recorded, nothing to name")
}

func TestJournalChecksumIsValidated(t *testing.T) {
	goldenWorkdir(t)
	jr, err := ReadJournal(appliedJournal(t))
	require.NoError(t, err)
	bad := "not-a-sha"
	jr.Operations[0].Checksum = &bad
	err = jr.Validate()
	assert.ErrorIs(t, err, CodeInvalidChecksum)
	assert.Contains(t, err.Error(), "operations[].checksum")

	jr.Operations[0].Checksum = nil
	sum := strings.Repeat("a", 64)
	jr.Operations[3].Checksum = &sum // a stop
	assert.ErrorIs(t, jr.Validate(), CodeOperationMissingField)
	jr.Operations[3].Checksum = nil

	jr.Operations[0].Files[0].Path = "../escape"
	assert.ErrorIs(t, jr.Validate(), CodeArtifactPathEscapesBackup)
	jr.Operations[0].Files[0].Path = "ok"
	jr.Operations[0].Files[0].SHA256 = "zz"
	assert.ErrorIs(t, jr.Validate(), CodeInvalidChecksum)
}

// Staging copies by descriptor and refuses anything but regular files and
// directories, without hanging on a FIFO or following a symlink.
func TestStageArtifactRefusesLinksAndSpecialFiles(t *testing.T) {
	ctx := context.Background()
	journal := filepath.Join(t.TempDir(), "j.json")
	mk := func(t *testing.T) string {
		d := filepath.Join(t.TempDir(), "artifact")
		require.NoError(t, os.MkdirAll(filepath.Join(d, "sub"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(d, "sub", "a.bin"), []byte("hello"), 0o644))
		return d
	}
	t.Run("regular tree hashes as FromPath", func(t *testing.T) {
		d := mk(t)
		s, err := StageArtifact(ctx, journal, d)
		require.NoError(t, err)
		defer func() { _ = s.Remove() }()
		want, err := checksum.FromPath(ctx, d)
		require.NoError(t, err)
		assert.Equal(t, want, s.Checksum)
		got, err := os.ReadFile(filepath.Join(s.Path, "sub", "a.bin"))
		require.NoError(t, err)
		assert.Equal(t, "hello", string(got))
	})
	t.Run("single file", func(t *testing.T) {
		d := mk(t)
		f := filepath.Join(d, "sub", "a.bin")
		s, err := StageArtifact(ctx, journal, f)
		require.NoError(t, err)
		defer func() { _ = s.Remove() }()
		assert.Equal(t, checksum.FromBytes([]byte("hello")), s.Checksum)
	})
	for _, tc := range []struct {
		name string
		make func(t *testing.T, d string) string
		kind string
	}{
		{"symlink inside", func(t *testing.T, d string) string {
			require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(d, "sub", "link")))
			return d
		}, "symbolic link"},
		{"fifo inside", func(t *testing.T, d string) string {
			mkfifo(t, filepath.Join(d, "sub", "pipe"))
			return d
		}, "named pipe"},
		{"artifact is a symlink", func(t *testing.T, d string) string {
			l := filepath.Join(t.TempDir(), "link")
			require.NoError(t, os.Symlink(d, l))
			return l
		}, "symbolic link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.make(t, mk(t))
			_, err := StageArtifact(ctx, journal, src)
			var ee *checksum.EntryError
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, tc.kind, ee.Kind)
			assert.Empty(t, stagingLeft(t, journal))
		})
	}
}

// A journal whose artifact_path escapes the backup fails that row with the
// real reason (not "has no executable command"), names the journal, and
// the next action is to inspect the failed operation, not to rerun.
func TestRunReportsEscapingArtifactPath(t *testing.T) {
	goldenWorkdir(t)
	j := appliedJournal(t)
	jr, err := ReadJournal(j)
	require.NoError(t, err)
	escape := "../../../etc"
	jr.Operations[0].ArtifactPath = &escape
	require.NoError(t, layout.WriteJSONAtomic(j, jr))

	f := newFake()
	resp, err := runAt(t, j, ModeExecute, 0, f, 0)
	require.Error(t, err)
	assert.ErrorIs(t, err, CodeArtifactPathEscapesBackup)
	assert.Contains(t, err.Error(), "escapes backup root: ../../../etc")
	assert.Contains(t, err.Error(), j)
	assert.NotContains(t, err.Error(), "no executable command")
	require.NotNil(t, resp)
	assert.Equal(t, NextInspectFailed, resp.NextAction)
	assert.Equal(t, StoppedCommandFailed, resp.StoppedReason)
	assert.Empty(t, f.calls, "nothing reached the executor")
	jr, err = ReadJournal(j)
	require.NoError(t, err)
	assert.Equal(t, StateFailed, jr.Operations[0].State)
	assert.Equal(t, []string{ReasonArtifactPathEscapes}, jr.Operations[0].BlockingReasons)
}

// A backup whose restores/ directory is a symlink is refused before the
// run writes anything: the error names the path, the link's target stays
// empty, the journal is unchanged, nothing reached the executor; prune's
// reference listing refuses it too.
func TestRunRefusesSymlinkedRestoresDir(t *testing.T) {
	goldenWorkdir(t)
	j := appliedJournal(t)
	before, err := os.ReadFile(j)
	require.NoError(t, err)
	target := t.TempDir()
	link := filepath.Join(goldenBackupRoot, ReferencesDir)
	require.NoError(t, os.Symlink(target, link))

	f := newFake()
	_, err = runAt(t, j, ModeExecute, 0, f, 0)
	require.Error(t, err)
	assert.ErrorIs(t, err, CodeUnsafeControlDir)
	assert.Contains(t, err.Error(), link+" is a symbolic link")
	assert.Empty(t, f.calls)
	after, err := os.ReadFile(j)
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after), "journal untouched")
	ents, err := os.ReadDir(target)
	require.NoError(t, err)
	assert.Empty(t, ents, "nothing written through the link")
	assert.Empty(t, stagingLeft(t, j))

	_, err = ListReferences(goldenBackupRoot)
	assert.ErrorIs(t, err, CodeUnsafeControlDir)
}

// fullSlots fails every upload as a plugin does for a canister whose
// snapshot slots are full: a definite failure with a message and no
// transcript.
type fullSlots struct{ *fakeExecutor }

const fullSlotsMessage = `executor "sim-agent": canister r7inp-6aaaa-aaaaa-aaabq-cai already has the maximum number of snapshots (10)`

func (fullSlots) UploadSnapshot(ctx context.Context, target, dir string) (string, error) {
	return "", &CommandError{Status: "internal", Err: errors.New(fullSlotsMessage)}
}

// The executor's message is not lost: it is the failed receipt's stderr
// and the cause of the run's error (whose text stays 0.35.1's).
func TestExecutorMessageReachesReceiptAndError(t *testing.T) {
	goldenWorkdir(t)
	j := appliedJournal(t)
	_, err := runAt(t, j, ModeExecute, 0, fullSlots{newFake()}, 0)
	require.Error(t, err)
	assert.Equal(t, "restore run command failed for operation 0: status=internal", err.Error())
	assert.ErrorIs(t, err, CodeCommandFailed)
	var ce *CommandError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, fullSlotsMessage, ExecutorMessage(ce))
	jr, err := ReadJournal(j)
	require.NoError(t, err)
	require.Len(t, jr.OperationReceipts, 1)
	assert.Equal(t, fullSlotsMessage+"\n", jr.OperationReceipts[0].Stderr.Text)
}

// An artifact removed after apply is refused as missing, before any upload.
func TestRunRefusesArtifactRemovedAfterApply(t *testing.T) {
	goldenWorkdir(t)
	j := appliedJournal(t)
	require.NoError(t, os.RemoveAll(filepath.Join(goldenBackupRoot, rootCanister)))
	f := newFake()
	_, err := runAt(t, j, ModeExecute, 0, f, 0)
	assert.ErrorIs(t, err, CodeArtifactMissing)
	assert.Contains(t, err.Error(), filepath.Join(goldenBackupRoot, rootCanister)+" of "+rootCanister)
	assert.Empty(t, uploads(f))
	jr, err := ReadJournal(j)
	require.NoError(t, err)
	assert.Equal(t, []string{ReasonArtifactMissing}, jr.Operations[0].BlockingReasons)
}
