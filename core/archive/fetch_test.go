package archive_test

import (
	"context"
	"os"
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

func TestFetchRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newDirStore(t)
	src := goldenBackup(t, "b")
	_, err := archive.Publish(ctx, s, "b", src, archive.PublishOptions{})
	require.NoError(t, err)

	// Documents only.
	dst := filepath.Join(t.TempDir(), "b")
	rep, err := archive.Fetch(ctx, s, "b", dst, archive.FetchOptions{})
	require.NoError(t, err)
	assert.Equal(t, 4, rep.Objects)
	assert.Len(t, filesOf(t, dst), 4)

	// One artifact, then all: byte-identical, and verify.Layout passes.
	rep, err = archive.Fetch(ctx, s, "b", dst, archive.FetchOptions{Artifacts: []string{hubID}})
	require.NoError(t, err)
	assert.Equal(t, 4, rep.Downloaded, "hub's 4 files; documents kept")
	rep, err = archive.Fetch(ctx, s, "b", dst, archive.FetchOptions{AllArtifacts: true, Concurrency: 3})
	require.NoError(t, err)
	assert.Equal(t, 16, rep.Objects)
	assert.Equal(t, 8, rep.Downloaded)
	assert.Equal(t, filesOf(t, src), filesOf(t, dst))
	_, err = verify.Layout(ctx, dst)
	require.NoError(t, err)

	_, err = archive.Fetch(ctx, s, "b", dst, archive.FetchOptions{Artifacts: []string{"nope"}})
	require.ErrorIs(t, err, archive.ErrUnknownArtifact)
}

func TestFetchRefusesCorruptObjects(t *testing.T) {
	ctx := context.Background()
	s := newDirStore(t)
	src := goldenBackup(t, "b")
	_, err := archive.Publish(ctx, s, "b", src, archive.PublishOptions{})
	require.NoError(t, err)

	// An object whose bytes no longer match its checksum in the manifest.
	key := "b/" + appID + "/wasm_module.bin"
	_, err = s.Put(ctx, key, strings.NewReader("tampered"), store.PutOptions{})
	require.NoError(t, err)
	dst := filepath.Join(t.TempDir(), "b")
	_, err = archive.Fetch(ctx, s, "b", dst, archive.FetchOptions{Artifacts: []string{appID}})
	require.ErrorIs(t, err, checksum.ErrMismatch)
	assert.Equal(t, verify.CodeChecksum, verify.CodeOf(err))
	assert.Contains(t, err.Error(), "b/"+appID)
	assert.Contains(t, err.Error(), s.String())

	// A missing artifact, and a backup without a manifest.
	objs, err := s.List(ctx, "b/"+appID+"/")
	require.NoError(t, err)
	for _, o := range objs {
		require.NoError(t, s.Delete(ctx, o.Key))
	}
	_, err = archive.Fetch(ctx, s, "b", dst, archive.FetchOptions{Artifacts: []string{appID}})
	require.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, s.Delete(ctx, "b/"+layout.ManifestFile))
	_, err = archive.Fetch(ctx, s, "b", dst, archive.FetchOptions{AllArtifacts: true})
	require.ErrorIs(t, err, archive.ErrIncomplete)
	// No temp files left behind.
	for rel := range filesOf(t, dst) {
		assert.False(t, strings.HasSuffix(rel, ".tmp"), rel)
	}
	_, err = os.Stat(dst)
	require.NoError(t, err)
}
