package archive_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/store/dirstore"
)

func newDirStore(t *testing.T) *dirstore.Store {
	t.Helper()
	s, err := dirstore.Open(t.TempDir())
	require.NoError(t, err)
	return s
}

func put(t *testing.T, s store.Store, key, body string) {
	t.Helper()
	_, err := s.Put(context.Background(), key, strings.NewReader(body), store.PutOptions{})
	require.NoError(t, err)
}

// recordingStore records the order of Delete calls.
type recordingStore struct {
	store.Store
	mu      sync.Mutex
	deletes []string
}

func (r *recordingStore) Delete(ctx context.Context, key string) error {
	r.mu.Lock()
	r.deletes = append(r.deletes, key)
	r.mu.Unlock()
	return r.Store.Delete(ctx, key)
}

func TestListGroupsBackupsAndSkipsLocks(t *testing.T) {
	ctx := context.Background()
	s := newDirStore(t)
	put(t, s, "b1/"+layout.PlanFile, "{}")
	put(t, s, "b1/"+layout.ManifestFile, "{}")
	put(t, s, "b1/aaaaa-aa/state.bin", "12345")
	put(t, s, "b2/"+layout.PlanFile, "{}")
	put(t, s, "stray.txt", "x")
	_, err := archive.LockFleet(ctx, s, "demo", store.LeaseOptions{Host: "h", TTL: time.Minute})
	require.NoError(t, err)

	got, err := archive.List(ctx, s)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "b1", got[0].Name)
	assert.Equal(t, 3, got[0].Objects)
	assert.Equal(t, int64(9), got[0].Bytes)
	assert.True(t, got[0].HasManifest)
	assert.True(t, got[0].HasPlan)
	assert.False(t, got[0].Modified.IsZero())
	assert.Equal(t, "b2", got[1].Name)
	assert.False(t, got[1].HasManifest, "no manifest: incomplete")
	assert.True(t, got[1].HasPlan)
}

func TestReadDocument(t *testing.T) {
	ctx := context.Background()
	s := newDirStore(t)
	put(t, s, "b1/"+layout.PlanFile, `{"a":1}`)
	data, err := archive.ReadDocument(ctx, s, "b1", layout.PlanFile)
	require.NoError(t, err)
	assert.Equal(t, `{"a":1}`, string(data))

	_, err = archive.ReadDocument(ctx, s, "b1", layout.ManifestFile)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = archive.ReadDocument(ctx, s, "a/b", layout.PlanFile)
	require.ErrorIs(t, err, archive.ErrInvalidName)
	_, err = archive.ReadDocument(ctx, s, "locks", layout.PlanFile)
	require.ErrorIs(t, err, archive.ErrInvalidName)
}

func TestDeleteRemovesManifestFirst(t *testing.T) {
	ctx := context.Background()
	inner := newDirStore(t)
	s := &recordingStore{Store: inner}
	put(t, s, "b1/"+layout.PlanFile, "{}")
	put(t, s, "b1/"+layout.ManifestFile, "{}")
	put(t, s, "b1/x/y", "z")
	put(t, s, "b10/"+layout.PlanFile, "{}")

	require.NoError(t, archive.Delete(ctx, s, "b1"))
	require.NotEmpty(t, s.deletes)
	assert.Equal(t, "b1/"+layout.ManifestFile, s.deletes[0])
	left, err := inner.List(ctx, "")
	require.NoError(t, err)
	require.Len(t, left, 1, "only the other backup is left")
	assert.Equal(t, "b10/"+layout.PlanFile, left[0].Key)
}

func TestLockFleetRefusesSecondHolder(t *testing.T) {
	ctx := context.Background()
	s := newDirStore(t)
	l, err := archive.LockFleet(ctx, s, "demo fleet", store.LeaseOptions{Host: "a", PID: 1, TTL: time.Minute})
	require.NoError(t, err)
	_, err = s.Stat(ctx, "locks/fleet-demo-fleet.json")
	require.NoError(t, err)
	assert.Equal(t, "locks/fleet-demo-fleet.json", archive.FleetLockKey("demo fleet"))

	_, err = archive.LockFleet(ctx, s, "demo fleet", store.LeaseOptions{Host: "b", PID: 2, TTL: time.Minute})
	require.ErrorIs(t, err, store.ErrLocked)
	assert.Contains(t, err.Error(), "host a pid 1")

	require.NoError(t, l.Release(ctx))
	_, err = archive.LockFleet(ctx, s, "demo fleet", store.LeaseOptions{Host: "b", PID: 2, TTL: time.Minute})
	require.NoError(t, err)
}

func dirstoreOpen(root string) (store.Store, error) { return dirstore.Open(root) }
