package verify

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/layout"
)

// Check with a member filter checksums only the selected artifacts, yet
// runs the cross-document checks for all; concurrency gives the same
// report as the sequential Artifacts.
func TestCheckSamplesAndRunsConcurrently(t *testing.T) {
	ctx := context.Background()
	dir := goldenLayout(t)
	m, err := ReadManifest(dir)
	require.NoError(t, err)
	j, err := ReadDownloadJournal(dir)
	require.NoError(t, err)
	want, err := Artifacts(ctx, dir, m, j)
	require.NoError(t, err)

	opts := CheckOptions{
		ManifestPath: filepath.Join(dir, ManifestFile),
		JournalPath:  filepath.Join(dir, DownloadJournalFile),
		Checksum:     DirectoryChecksummer(dir),
		Concurrency:  3,
	}
	got, err := Check(ctx, m, j, opts)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	// Tamper with member 1's artifact: a filter without it passes.
	rel := m.Fleet.Members[1].SourceSnapshot.ArtifactPath
	require.NoError(t, os.WriteFile(filepath.Join(dir, rel, "metadata.json"), []byte("x"), 0o644))
	opts.Include = func(i int) bool { return i != 1 }
	got, err = Check(ctx, m, j, opts)
	require.NoError(t, err)
	assert.Len(t, got.Artifacts, len(m.Fleet.Members)-1)
	assert.Equal(t, len(m.Fleet.Members)-1, got.DurableArtifacts)

	opts.Include = nil
	_, err = Check(ctx, m, j, opts)
	assert.Equal(t, CodeChecksum, CodeOf(err))
	assert.Contains(t, err.Error(), rel)

	// Cross-document checks cover unselected members too.
	j.Artifacts[1].State = "Downloading"
	opts.Include = func(i int) bool { return false }
	_, err = Check(ctx, m, j, opts)
	assert.Equal(t, CodeNonDurableArtifact, CodeOf(err))
}

func TestDecodeHelpersNameThePath(t *testing.T) {
	_, err := DecodeManifest([]byte("{"), "s3://b/x/"+ManifestFile)
	assert.Equal(t, CodeUnreadable, CodeOf(err))
	assert.Contains(t, err.Error(), "s3://b/x/"+ManifestFile)
	_, err = DecodeDownloadJournal([]byte(`{"journal_version": 99, "backup_id": "x", "artifacts": []}`), "p")
	assert.Equal(t, CodeInvalidJournal, CodeOf(err))

	dir := goldenLayout(t)
	for _, c := range []struct {
		file   string
		decode func([]byte, string) error
	}{
		{layout.ManifestFile, func(b []byte, p string) error { _, err := DecodeManifest(b, p); return err }},
		{layout.DownloadJournalFile, func(b []byte, p string) error { _, err := DecodeDownloadJournal(b, p); return err }},
		{layout.PlanFile, func(b []byte, p string) error { _, err := DecodePlan(b, p); return err }},
		{layout.ExecutionJournalFile, func(b []byte, p string) error { _, err := DecodeExecutionJournal(b, p); return err }},
	} {
		data, err := os.ReadFile(filepath.Join(dir, c.file))
		require.NoError(t, err)
		assert.NoError(t, c.decode(data, c.file), c.file)
	}
}
