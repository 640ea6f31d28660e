package archive_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/store"
)

// listCountingStore counts List calls.
type listCountingStore struct {
	store.Store
	lists atomic.Int64
}

func (c *listCountingStore) List(ctx context.Context, prefix string) ([]store.ObjectInfo, error) {
	c.lists.Add(1)
	return c.Store.List(ctx, prefix)
}

// TestFetchReusesAnIndex: fetching a backup's artifacts one at a time with
// an Index lists the backup once in all, and gives the files a fetch with
// its own listing gives; an index of another backup is not used.
func TestFetchReusesAnIndex(t *testing.T) {
	ctx := context.Background()
	s := &listCountingStore{Store: newDirStore(t)}
	src := goldenBackup(t, "b")
	_, err := archive.Publish(ctx, s, "b", src, archive.PublishOptions{})
	require.NoError(t, err)

	ix, err := archive.IndexBackup(ctx, s, "b")
	require.NoError(t, err)
	assert.Equal(t, 16, ix.Objects())
	s.lists.Store(0)
	dst := filepath.Join(t.TempDir(), "b")
	for _, id := range []string{hubID, appID} {
		_, err := archive.Fetch(ctx, s, "b", dst, archive.FetchOptions{Artifacts: []string{id}, Index: ix})
		require.NoError(t, err)
	}
	_, err = archive.Fetch(ctx, s, "b", dst, archive.FetchOptions{AllArtifacts: true, Index: ix})
	require.NoError(t, err)
	assert.Zero(t, s.lists.Load(), "no listing beyond the index")
	assert.Equal(t, filesOf(t, src), filesOf(t, dst))

	rep, err := archive.Fetch(ctx, s, "c", filepath.Join(t.TempDir(), "c"), archive.FetchOptions{Index: ix})
	require.NoError(t, err)
	assert.Zero(t, rep.Objects, "backup c has nothing in the store")
	assert.Equal(t, int64(1), s.lists.Load(), "b's index is not used for c: c is listed")
}
