package verify

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	rootID = "r7inp-6aaaa-aaaaa-aaabq-cai"
	appID  = "renrk-eyaaa-aaaaa-aaada-cai"
	hubID  = "rno2w-sqaaa-aaaaa-aaacq-cai"
)

// goldenLayout copies the four main golden documents and the golden
// artifacts into a fresh directory, as the compat README describes.
func goldenLayout(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{PlanFile, ExecutionJournalFile, DownloadJournalFile, ManifestFile} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), golden.Read(t, "backup/"+name), 0o644))
	}
	src := golden.Path(t, "backup/extra/artifacts")
	require.NoError(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	}))
	return dir
}

func requireFailure(t *testing.T, err error, code Code, path, msg string) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrVerification)
	var ve *VerificationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, code, ve.Code, "error: %v", err)
	assert.Equal(t, path, ve.Path)
	if msg != "" {
		assert.Equal(t, msg, ve.Message)
	}
	assert.Contains(t, err.Error(), path)
}

func TestGoldenLayoutVerifies(t *testing.T) {
	dir := goldenLayout(t)
	rep, err := Layout(context.Background(), dir)
	require.NoError(t, err)

	// The report has the golden shape; only the backup root differs.
	out, err := wire.MarshalPretty(rep)
	require.NoError(t, err)
	want := strings.ReplaceAll(string(golden.Read(t, "backup/extra/backup-verify-report.json")), "backups/fleet-demo-20260512-140000", dir)
	assert.Equal(t, strings.TrimRight(want, "\n"), string(out))

	ex, err := ExecutionLayout(dir)
	require.NoError(t, err)
	assert.Equal(t, ExecutionReport{PlanID: "plan-demo-20260512-140000", RunID: "run-demo-20260512-140000", Verified: true, PlanOperations: 20, JournalOperations: 20}, *ex)

	j, err := ReadExecutionJournal(dir)
	require.NoError(t, err)
	assert.Equal(t, StatusComplete, Status(j, true))
}

func TestRelativeRootIsDisplayedAsGiven(t *testing.T) {
	dir := goldenLayout(t)
	t.Chdir(filepath.Dir(dir))
	rep, err := Layout(context.Background(), filepath.Base(dir))
	require.NoError(t, err)
	assert.Equal(t, filepath.Base(dir)+"/"+rootID, rep.Artifacts[0].ArtifactPath)
}

// Artifact tampering is detected and the failing artifact is named.
func TestArtifactTamperingIsDetected(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, dir string) (path string)
		code   Code
	}{
		{"one byte changed", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, appID, "memory", "stable.bin")
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			data[3] ^= 1
			require.NoError(t, os.WriteFile(p, data, 0o644))
			return filepath.Join(dir, appID)
		}, CodeChecksum},
		{"file missing", func(t *testing.T, dir string) string {
			require.NoError(t, os.Remove(filepath.Join(dir, hubID, "metadata.json")))
			return filepath.Join(dir, hubID)
		}, CodeChecksum},
		{"extra file", func(t *testing.T, dir string) string {
			require.NoError(t, os.WriteFile(filepath.Join(dir, rootID, "memory", "extra.bin"), nil, 0o644))
			return filepath.Join(dir, rootID)
		}, CodeChecksum},
		{"file replaced by symlink to identical content", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, appID, "wasm_module.bin")
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			outside := filepath.Join(t.TempDir(), "w")
			require.NoError(t, os.WriteFile(outside, data, 0o644))
			require.NoError(t, os.Remove(p))
			require.NoError(t, os.Symlink(outside, p))
			return p
		}, CodeUnsupportedArtifactEntry},
		{"artifact directory is a symlink out of the backup", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, hubID)
			moved := filepath.Join(t.TempDir(), "moved")
			require.NoError(t, os.Rename(p, moved))
			require.NoError(t, os.Symlink(moved, p))
			return dir + "/" + hubID
		}, CodeArtifactPathEscapesBackup},
		{"artifact directory is a symlink within the backup", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, hubID)
			require.NoError(t, os.Rename(p, filepath.Join(dir, "moved")))
			require.NoError(t, os.Symlink("moved", p))
			return p
		}, CodeUnsupportedArtifactEntry},
		{"artifact missing", func(t *testing.T, dir string) string {
			require.NoError(t, os.RemoveAll(filepath.Join(dir, rootID)))
			return filepath.Join(dir, rootID)
		}, CodeMissingArtifact},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := goldenLayout(t)
			path := tc.tamper(t, dir)
			_, err := Layout(context.Background(), dir)
			requireFailure(t, err, tc.code, path, "")
			if tc.code == CodeChecksum {
				assert.ErrorIs(t, err, checksum.ErrMismatch)
				assert.True(t, strings.HasPrefix(err.(*VerificationError).Message, "checksum mismatch: expected "))
			}
		})
	}
}

func TestFirstBadArtifactIsNamed(t *testing.T) {
	dir := goldenLayout(t)
	for _, id := range []string{hubID, appID} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, id, "metadata.json"), []byte("x"), 0o644))
	}
	_, err := Layout(context.Background(), dir)
	requireFailure(t, err, CodeChecksum, filepath.Join(dir, appID), "") // app precedes user_hub in the manifest
}

func TestVerifyDoesNotModifyTheLayout(t *testing.T) {
	dir := goldenLayout(t)
	before := snapshotTree(t, dir)
	_, err := Layout(context.Background(), dir)
	require.NoError(t, err)
	assert.Equal(t, before, snapshotTree(t, dir))
}

func snapshotTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		out[p] = info.ModTime().String() + string(data)
		return err
	}))
	return out
}

func TestCancelledContext(t *testing.T) {
	dir := goldenLayout(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Layout(ctx, dir)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestMissingAndInvalidDocumentsNameTheFile(t *testing.T) {
	dir := goldenLayout(t)
	require.NoError(t, os.Remove(filepath.Join(dir, DownloadJournalFile)))
	_, err := Layout(context.Background(), dir)
	requireFailure(t, err, CodeUnreadable, filepath.Join(dir, DownloadJournalFile), "download-journal.json is missing")

	dir = goldenLayout(t)
	data := strings.Replace(string(golden.Read(t, "backup/"+ManifestFile)), `"manifest_version": 1`, `"manifest_version": 7`, 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ManifestFile), []byte(data), 0o644))
	_, err = Layout(context.Background(), dir)
	requireFailure(t, err, CodeInvalidManifest, filepath.Join(dir, ManifestFile), "unsupported manifest version 7")
	assert.ErrorIs(t, err, manifest.ErrInvalidManifest)

	dir = goldenLayout(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ManifestFile), []byte(`{"manifest_version": 1,`), 0o644))
	_, err = Layout(context.Background(), dir)
	requireFailure(t, err, CodeUnreadable, filepath.Join(dir, ManifestFile), "")
}

// docs loads the golden manifest and journal for the §10.5 checklist.
func docs(t *testing.T) (*manifest.FleetBackupManifest, *journal.DownloadJournal) {
	t.Helper()
	m, err := manifest.DecodeValid(golden.Read(t, "backup/"+ManifestFile))
	require.NoError(t, err)
	j, err := journal.DecodeDownloadJournal(golden.Read(t, "backup/"+DownloadJournalFile))
	require.NoError(t, err)
	return m, j
}

// §10.5 persistence checklist: the integrity_* lines.
func TestIntegrityChecklist(t *testing.T) {
	str := func(s string) *string { return &s }
	other := strings.Repeat("ab", 32)
	cases := []struct {
		name   string
		mutate func(m *manifest.FleetBackupManifest, j *journal.DownloadJournal)
		code   Code
		file   string
		msg    string
	}{
		{"integrity_verifies_durable_artifacts", func(*manifest.FleetBackupManifest, *journal.DownloadJournal) {}, "", "", ""},
		{"integrity_rejects_backup_id_mismatch", func(_ *manifest.FleetBackupManifest, j *journal.DownloadJournal) {
			j.BackupID = "other"
		}, CodeBackupIDMismatch, ManifestFile, "manifest backup id run-demo-20260512-140000 does not match journal backup id other"},
		{"integrity_rejects_manifest_journal_topology_receipt_mismatch", func(_ *manifest.FleetBackupManifest, j *journal.DownloadJournal) {
			j.DiscoveryTopologyHash = str(other)
		}, CodeManifestJournalTopologyMismatch, ManifestFile, "manifest topology receipt discovery_topology_hash does not match journal topology receipt"},
		{"null journal topology receipt is a mismatch", func(_ *manifest.FleetBackupManifest, j *journal.DownloadJournal) {
			j.PreSnapshotTopologyHash = nil
		}, CodeManifestJournalTopologyMismatch, ManifestFile, "manifest topology receipt pre_snapshot_topology_hash does not match journal topology receipt"},
		{"integrity_rejects_non_durable_artifacts", func(_ *manifest.FleetBackupManifest, j *journal.DownloadJournal) {
			j.Artifacts[1].State = journal.ArtifactState("Created")
		}, CodeNonDurableArtifact, DownloadJournalFile, "journal artifact renrk-eyaaa-aaaaa-aaada-cai snapshot 0000000000000001ffffffffffc000020101 is not durable"},
		{"integrity_rejects_unexpected_journal_artifacts", func(_ *manifest.FleetBackupManifest, j *journal.DownloadJournal) {
			e := j.Artifacts[0]
			e.SnapshotID = "extra-snapshot"
			j.Artifacts = append(j.Artifacts, e)
		}, CodeUnexpectedJournalArtifact, DownloadJournalFile, "journal artifact r7inp-6aaaa-aaaaa-aaabq-cai snapshot extra-snapshot is not declared in manifest"},
		{"missing journal artifact", func(m *manifest.FleetBackupManifest, j *journal.DownloadJournal) {
			j.Artifacts = j.Artifacts[:2]
		}, CodeMissingJournalArtifact, DownloadJournalFile, "manifest member rno2w-sqaaa-aaaaa-aaacq-cai snapshot 0000000000000002ffffffffffc000040101 has no journal artifact"},
		{"integrity_rejects_manifest_journal_checksum_mismatch", func(m *manifest.FleetBackupManifest, _ *journal.DownloadJournal) {
			m.Fleet.Members[0].SourceSnapshot.Checksum = str(other)
		}, CodeManifestJournalChecksumMismatch, ManifestFile, "manifest checksum for r7inp-6aaaa-aaaaa-aaabq-cai snapshot 0000000000000000ffffffffff9000010101 does not match journal checksum"},
		{"integrity_rejects_manifest_journal_artifact_path_mismatch", func(m *manifest.FleetBackupManifest, _ *journal.DownloadJournal) {
			m.Fleet.Members[0].SourceSnapshot.ArtifactPath = "elsewhere"
		}, CodeManifestJournalArtifactPathMismatch, ManifestFile, "manifest artifact path for r7inp-6aaaa-aaaaa-aaabq-cai snapshot 0000000000000000ffffffffff9000010101 does not match journal artifact path"},
		{"artifact path escaping the backup", func(m *manifest.FleetBackupManifest, j *journal.DownloadJournal) {
			m.Fleet.Members[0].SourceSnapshot.ArtifactPath = "../x"
			j.Artifacts[0].ArtifactPath = "../x"
		}, CodeArtifactPathEscapesBackup, "", "artifact path escapes backup root: ../x"},
		{"absolute artifact path", func(m *manifest.FleetBackupManifest, j *journal.DownloadJournal) {
			m.Fleet.Members[0].SourceSnapshot.ArtifactPath = "/etc"
			j.Artifacts[0].ArtifactPath = "/etc"
		}, CodeArtifactPathEscapesBackup, "", "artifact path escapes backup root: /etc"},
		{"upper-case checksums verify, as in restore apply (one rule)", func(m *manifest.FleetBackupManifest, j *journal.DownloadJournal) {
			up := strings.ToUpper(*j.Artifacts[0].Checksum)
			j.Artifacts[0].Checksum = &up
			m.Fleet.Members[0].SourceSnapshot.Checksum = &up
		}, "", "", ""},
		{"upper-case journal checksum matches a lower-case manifest checksum", func(m *manifest.FleetBackupManifest, j *journal.DownloadJournal) {
			up := strings.ToUpper(*j.Artifacts[0].Checksum)
			j.Artifacts[0].Checksum = &up
		}, "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := goldenLayout(t)
			m, j := docs(t)
			tc.mutate(m, j)
			rep, err := Artifacts(context.Background(), dir, m, j)
			if tc.code == "" {
				require.NoError(t, err)
				assert.True(t, rep.Verified)
				assert.Equal(t, 3, rep.ManifestMembers)
				assert.Equal(t, 3, rep.DurableArtifacts)
				return
			}
			file := filepath.Join(dir, tc.file)
			if tc.code == CodeArtifactPathEscapesBackup {
				file = dir + "/" + j.Artifacts[0].ArtifactPath
			}
			requireFailure(t, err, tc.code, file, tc.msg)
		})
	}
}

// integrity_verifies_durable_artifacts: a single-file artifact works too.
func TestSingleFileArtifactVerifies(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "artifacts"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "artifacts", "root"), []byte("root artifact"), 0o644))
	m, j := docs(t)
	sum := checksum.FromBytes([]byte("root artifact")).Hash
	m.Fleet.Members = m.Fleet.Members[:1]
	m.Consistency.BackupUnits[0].Roles = []string{"root"}
	m.Fleet.Members[0].SourceSnapshot.ArtifactPath = "artifacts/root"
	m.Fleet.Members[0].SourceSnapshot.Checksum = &sum
	j.Artifacts = j.Artifacts[:1]
	j.Artifacts[0].ArtifactPath = "artifacts/root"
	j.Artifacts[0].Checksum = &sum
	require.NoError(t, m.Validate())
	rep, err := Artifacts(context.Background(), dir, m, j)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.ManifestMembers)
	assert.Equal(t, 1, rep.DurableArtifacts)
	assert.Equal(t, dir+"/artifacts/root", rep.Artifacts[0].ArtifactPath)
}

// Run from the directory 0.35.1 ran in, the report is the golden report
// byte for byte.
func TestGoldenVerifyReportByteIdentical(t *testing.T) {
	src := goldenLayout(t)
	want := strings.TrimRight(string(golden.Read(t, "backup/extra/backup-verify-report.json")), "\n")
	work := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(work, "backups"), 0o755))
	require.NoError(t, os.Rename(src, filepath.Join(work, "backups", "fleet-demo-20260512-140000")))
	t.Chdir(work)
	rep, err := Layout(context.Background(), "backups/fleet-demo-20260512-140000")
	require.NoError(t, err)
	out, err := wire.MarshalPretty(rep)
	require.NoError(t, err)
	assert.Equal(t, want, string(out))
}
