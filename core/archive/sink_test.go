package archive_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/store"
)

// The sink is a runner.ArtifactSink (checked here, where both are imported).
var _ runner.ArtifactSink = (*archive.ArtifactSink)(nil)

// sinkAndPublish puts every artifact of the backup directory dir through
// an ArtifactSink, removes it locally as the runner does, then publishes
// what is left (the documents); it returns the sink's report.
func sinkAndPublish(t *testing.T, s store.Store, name, dir string) archive.PublishReport {
	t.Helper()
	ctx := context.Background()
	sink, err := archive.NewArtifactSink(s, name, archive.SinkOptions{})
	require.NoError(t, err)
	for _, id := range []string{rootID, appID, hubID} {
		art := filepath.Join(dir, id)
		sum, err := checksum.FromPath(ctx, art)
		require.NoError(t, err)
		require.NoError(t, sink.Put(ctx, id, art, sum.Hash))
		has, err := sink.Has(ctx, id, sum.Hash)
		require.NoError(t, err)
		assert.True(t, has, id)
		require.NoError(t, os.RemoveAll(art))
	}
	rep, err := archive.Publish(ctx, s, name, dir, archive.PublishOptions{})
	require.NoError(t, err)
	assert.Equal(t, 4, rep.Objects, "only the documents are left to publish")
	return sink.Report()
}

// TestArtifactSinkPutHas: artifacts put through the sink plus the
// documents published afterwards are the same backup Publish stores (it
// verifies, and its objects are the directory's files); Has checks the
// digests; a second Put sends nothing; a wrong checksum is refused.
func TestArtifactSinkPutHas(t *testing.T) {
	ctx := context.Background()
	s := newDirStore(t)
	dir := goldenBackup(t, "fleet-demo-sink")
	want := filesOf(t, dir)
	sums := map[string]string{}
	for _, id := range []string{rootID, appID, hubID} {
		sum, err := checksum.FromPath(ctx, filepath.Join(dir, id))
		require.NoError(t, err)
		sums[id] = sum.Hash
	}
	keep := filepath.Join(t.TempDir(), "keep")
	require.NoError(t, os.Rename(filepath.Join(goldenBackup(t, "copy"), appID), keep))

	rep := sinkAndPublish(t, s, "fleet-demo-sink", dir)
	assert.Equal(t, 12, rep.Objects)
	assert.Equal(t, 12, rep.Uploaded)
	assert.Positive(t, rep.UploadedBytes)
	_, err := archive.Verify(ctx, s, "fleet-demo-sink", archive.VerifyOptions{})
	require.NoError(t, err)
	got := filesOf(t, filepath.Join(s.Root(), "fleet-demo-sink"))
	assert.Equal(t, want, got)

	sink, err := archive.NewArtifactSink(s, "fleet-demo-sink", archive.SinkOptions{})
	require.NoError(t, err)
	assert.Equal(t, s.String()+"/fleet-demo-sink", sink.String())
	require.NoError(t, sink.Put(ctx, appID, keep, sums[appID]))
	again := sink.Report()
	assert.Equal(t, 4, again.Skipped, "a second Put of the same artifact sends nothing")
	assert.Zero(t, again.UploadedBytes)

	has, err := sink.Has(ctx, appID, sums[rootID])
	require.NoError(t, err)
	assert.False(t, has, "another checksum")
	has, err = sink.Has(ctx, "aaaaa-aa", sums[appID])
	require.NoError(t, err)
	assert.False(t, has, "an artifact not there")

	err = sink.Put(ctx, appID, keep, sums[rootID])
	require.ErrorIs(t, err, archive.ErrArtifactChecksum)
	assert.Contains(t, err.Error(), s.String()+"/fleet-demo-sink/"+appID)

	// An object an earlier attempt left under the artifact breaks Has
	// until a Put of the artifact removes it.
	put(t, s, "fleet-demo-sink/"+appID+"/stale.bin", "stale")
	has, err = sink.Has(ctx, appID, sums[appID])
	require.NoError(t, err)
	assert.False(t, has)
	require.NoError(t, sink.Put(ctx, appID, keep, sums[appID]))
	has, err = sink.Has(ctx, appID, sums[appID])
	require.NoError(t, err)
	assert.True(t, has)
	_, err = s.Stat(ctx, "fleet-demo-sink/"+appID+"/stale.bin")
	require.ErrorIs(t, err, store.ErrNotFound)

	_, err = archive.NewArtifactSink(s, "a/b", archive.SinkOptions{})
	require.ErrorIs(t, err, archive.ErrInvalidName)
}
