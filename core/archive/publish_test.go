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
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/store"
)

func TestDowntimeFileIsTheRunners(t *testing.T) {
	assert.Equal(t, runner.DowntimeFile, archive.DowntimeFile)
}

func TestPublishIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s := newDirStore(t)
	dir := goldenBackup(t, "fleet-demo-1")
	require.NoError(t, os.WriteFile(filepath.Join(dir, archive.DowntimeFile), []byte(`{}`), 0o644))
	// Not part of the backup: locks, temp entries, reserved names.
	require.NoError(t, os.WriteFile(filepath.Join(dir, layout.ExecutionJournalFile+".lock"), nil, 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, appID+".tmp"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, appID+".tmp", "x"), []byte("partial"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".canic-x"), nil, 0o644))

	var events []archive.PublishEvent
	rep, err := archive.Publish(ctx, s, "fleet-demo-1", dir, archive.PublishOptions{Progress: func(e archive.PublishEvent) { events = append(events, e) }})
	require.NoError(t, err)
	assert.Equal(t, 17, rep.Objects, "5 documents + 3 artifacts of 4 files")
	assert.Equal(t, rep.Objects, rep.Uploaded)
	assert.Zero(t, rep.Skipped)
	assert.Equal(t, rep.Bytes, rep.UploadedBytes)
	require.Len(t, events, rep.Objects)
	assert.Equal(t, "fleet-demo-1/"+layout.ManifestFile, events[len(events)-1].Key, "manifest last")

	objs, err := s.List(ctx, "")
	require.NoError(t, err)
	keys := map[string]bool{}
	for _, o := range objs {
		keys[o.Key] = true
	}
	assert.Len(t, keys, 17)
	assert.True(t, keys["fleet-demo-1/"+hubID+"/memory/stable.bin"])
	for k := range keys {
		assert.NotContains(t, k, ".lock")
		assert.NotContains(t, k, ".tmp")
	}

	rep2, err := archive.Publish(ctx, s, "fleet-demo-1", dir, archive.PublishOptions{})
	require.NoError(t, err)
	assert.Equal(t, rep.Objects, rep2.Skipped, "second publish skips everything")
	assert.Zero(t, rep2.Uploaded)
	assert.Zero(t, rep2.UploadedBytes)
}

func TestPublishRefusesIncompleteAndSymlinks(t *testing.T) {
	ctx := context.Background()
	s := newDirStore(t)
	dir := goldenBackup(t, "b")
	require.NoError(t, os.Remove(filepath.Join(dir, layout.ManifestFile)))
	_, err := archive.Publish(ctx, s, "b", dir, archive.PublishOptions{})
	require.ErrorIs(t, err, archive.ErrIncomplete)
	assert.Contains(t, err.Error(), dir)

	dir = goldenBackup(t, "c")
	link := filepath.Join(dir, appID, "evil")
	require.NoError(t, os.Symlink("/etc/passwd", link))
	_, err = archive.Publish(ctx, s, "c", dir, archive.PublishOptions{})
	require.ErrorIs(t, err, archive.ErrUnsupportedEntry)
	assert.Contains(t, err.Error(), link)
	objs, err := s.List(ctx, "")
	require.NoError(t, err)
	assert.Empty(t, objs, "nothing published")
}

func TestPublishRefusesADifferentManifest(t *testing.T) {
	ctx := context.Background()
	s := newDirStore(t)
	dir := goldenBackup(t, "b")
	other, err := s.Put(ctx, "b/"+layout.ManifestFile, strings.NewReader(`{"other":true}`), store.PutOptions{})
	require.NoError(t, err)
	_, err = archive.Publish(ctx, s, "b", dir, archive.PublishOptions{})
	require.ErrorIs(t, err, archive.ErrManifestConflict)
	assert.Contains(t, err.Error(), other.SHA256)
	data, _ := os.ReadFile(filepath.Join(dir, layout.ManifestFile))
	assert.Contains(t, err.Error(), sha(data))
}

func TestPublishRemoveLocal(t *testing.T) {
	ctx := context.Background()
	s := newDirStore(t)
	dir := goldenBackup(t, "b")
	// A stale object of the same size but other bytes is replaced.
	stable := filepath.Join(dir, hubID, "memory", "stable.bin")
	data, err := os.ReadFile(stable)
	require.NoError(t, err)
	_, err = s.Put(ctx, "b/"+hubID+"/memory/stable.bin", strings.NewReader(strings.Repeat("x", len(data))), store.PutOptions{})
	require.NoError(t, err)

	rep, err := archive.Publish(ctx, s, "b", dir, archive.PublishOptions{RemoveLocal: true, Concurrency: 2})
	require.NoError(t, err)
	assert.Equal(t, rep.Objects, rep.Uploaded)
	left := filesOf(t, dir)
	assert.Len(t, left, 4, "only the documents stay: %v", left)
	for _, id := range []string{rootID, appID, hubID} {
		_, err := os.Stat(filepath.Join(dir, id))
		assert.ErrorIs(t, err, os.ErrNotExist, "emptied artifact dir removed")
	}
	obj, err := s.Get(ctx, "b/"+hubID+"/memory/stable.bin")
	require.NoError(t, err)
	defer obj.Close()
	assert.Equal(t, sha(data), obj.Info.SHA256)
}
