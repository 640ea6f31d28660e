package archive_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/checksum"
)

// TestSeaweedArtifactSink: through a real S3 server, artifacts put by the
// sink (one of them a multipart upload) plus the published documents make
// a backup that verifies and fetches byte-identical; Has answers from the
// listing's digests.
func TestSeaweedArtifactSink(t *testing.T) {
	ctx := context.Background()
	s := startSeaweed(t, "sink/")
	dir := bigBackup(t, "fleet-demo-sunk", 20<<20)
	want := filesOf(t, dir)
	hubSum, err := checksum.FromPath(ctx, filepath.Join(dir, hubID))
	require.NoError(t, err)

	rep := sinkAndPublish(t, s, "fleet-demo-sunk", dir)
	assert.Equal(t, 12, rep.Uploaded)
	assert.Greater(t, rep.UploadedBytes, int64(20<<20))

	vrep, err := archive.Verify(ctx, s, "fleet-demo-sunk", archive.VerifyOptions{})
	require.NoError(t, err)
	assert.Equal(t, 3, vrep.Sampled)

	dst := filepath.Join(t.TempDir(), "fleet-demo-sunk")
	_, err = archive.Fetch(ctx, s, "fleet-demo-sunk", dst, archive.FetchOptions{AllArtifacts: true})
	require.NoError(t, err)
	assert.Equal(t, want, filesOf(t, dst))

	sink, err := archive.NewArtifactSink(s, "fleet-demo-sunk", archive.SinkOptions{})
	require.NoError(t, err)
	has, err := sink.Has(ctx, hubID, hubSum.Hash)
	require.NoError(t, err)
	assert.True(t, has)
	has, err = sink.Has(ctx, hubID, sha([]byte("other")))
	require.NoError(t, err)
	assert.False(t, has)
}
