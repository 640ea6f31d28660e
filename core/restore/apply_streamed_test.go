package restore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/checksum"
)

// streamedOf computes, from the local golden backup, the checksums a store
// streaming gives for the plan's artifacts.
func streamedOf(t *testing.T, p *Plan) *StreamedArtifacts {
	t.Helper()
	s := &StreamedArtifacts{Checksums: map[string]checksum.Checksum{}, Files: map[string][]checksum.FileDigest{}}
	for _, m := range p.Members {
		ap := m.SourceSnapshot.ArtifactPath
		sum, files, err := checksum.FromPathWithFiles(context.Background(), filepath.Join(goldenBackupRoot, ap))
		require.NoError(t, err)
		s.Checksums[ap], s.Files[ap] = sum, files
	}
	return s
}

// TestStreamedDryRunIsTheLocalOne: artifacts checked in a store give the
// dry run and journal a full local copy gives, and refusals go through the
// same coded errors as a local copy's (one validation path).
func TestStreamedDryRunIsTheLocalOne(t *testing.T) {
	goldenWorkdir(t)
	ctx := context.Background()
	p, err := BuildPlan(readGoldenManifest(t), readGoldenMapping(t, "mapping.json"))
	require.NoError(t, err)
	local, err := BuildDryRun(ctx, p, goldenBackupRoot)
	require.NoError(t, err)
	streamed, err := BuildStreamedDryRun(ctx, p, goldenBackupRoot, streamedOf(t, p))
	require.NoError(t, err)
	assert.Equal(t, local, streamed)
	assert.Equal(t, NewJournal(local), NewJournal(streamed), "the journal records the same file digests")

	missing := streamedOf(t, p)
	ap := p.Members[1].SourceSnapshot.ArtifactPath
	delete(missing.Checksums, ap)
	_, err = BuildStreamedDryRun(ctx, p, goldenBackupRoot, missing)
	var e *Error
	require.True(t, errors.As(err, &e), "a coded error: %v", err)
	assert.Equal(t, CodeArtifactMissing, e.Code)
	assert.Equal(t, "artifact_path", e.Field)
	assert.Equal(t, ap, e.Value)
	assert.Contains(t, err.Error(), ap+" was not checked in the store")

	bad := streamedOf(t, p)
	bad.Checksums[ap] = bad.Checksums[p.Members[0].SourceSnapshot.ArtifactPath]
	_, err = BuildStreamedDryRun(ctx, p, goldenBackupRoot, bad)
	require.True(t, errors.As(err, &e), "a coded error: %v", err)
	assert.Equal(t, CodeArtifactChecksum, e.Code)
	assert.Equal(t, "checksum", e.Field)
	assert.Contains(t, err.Error(), "restore artifact checksum failed for "+p.Members[1].SourceCanister+" at "+ap+": ")

	// The manifest's snapshots are checked before the streamed artifacts
	// (the store was asked for the manifest's paths).
	p.Members[0].SourceSnapshot.ArtifactPath = "elsewhere"
	_, err = BuildStreamedDryRun(ctx, p, goldenBackupRoot, streamedOf(t, p0(t)))
	assert.ErrorIs(t, err, CodePlanManifestMismatch)
}

func p0(t *testing.T) *Plan {
	t.Helper()
	p, err := BuildPlan(readGoldenManifest(t), readGoldenMapping(t, "mapping.json"))
	require.NoError(t, err)
	return p
}
