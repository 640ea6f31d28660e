package archive_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/verify"
)

// TestVerifyArtifacts: the checksums streamed from the store are the ones
// a local copy hashes to; a tampered object, an unknown path and a backup
// without a manifest are refused as Fetch refuses them.
func TestVerifyArtifacts(t *testing.T) {
	ctx := context.Background()
	s := newDirStore(t)
	src := goldenBackup(t, "b")
	_, err := archive.Publish(ctx, s, "b", src, archive.PublishOptions{})
	require.NoError(t, err)

	rep, err := archive.VerifyArtifacts(ctx, s, "b", []string{hubID, appID}, 2)
	require.NoError(t, err)
	require.Len(t, rep.Checksums, 2)
	for _, id := range []string{hubID, appID} {
		local, err := checksum.FromPath(ctx, filepath.Join(src, id))
		require.NoError(t, err)
		assert.Equal(t, local, rep.Checksums[id], id)
	}
	assert.Equal(t, 8, rep.Objects, "4 files per artifact")
	assert.Positive(t, rep.Bytes)

	_, err = archive.VerifyArtifacts(ctx, s, "b", []string{"nope"}, 0)
	require.ErrorIs(t, err, archive.ErrUnknownArtifact)

	key := "b/" + appID + "/wasm_module.bin"
	_, err = s.Put(ctx, key, strings.NewReader("tampered"), store.PutOptions{})
	require.NoError(t, err)
	_, err = archive.VerifyArtifacts(ctx, s, "b", []string{hubID, appID}, 0)
	require.ErrorIs(t, err, checksum.ErrMismatch)
	assert.Equal(t, verify.CodeChecksum, verify.CodeOf(err))
	assert.Contains(t, err.Error(), s.String())
	assert.Contains(t, err.Error(), "b/"+appID)
	_, err = archive.VerifyArtifacts(ctx, s, "b", []string{hubID}, 0)
	require.NoError(t, err, "only the artifacts asked for are read")

	require.NoError(t, s.Delete(ctx, "b/"+layout.ManifestFile))
	_, err = archive.VerifyArtifacts(ctx, s, "b", []string{hubID}, 0)
	require.ErrorIs(t, err, archive.ErrIncomplete)
}
