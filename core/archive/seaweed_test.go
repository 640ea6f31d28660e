package archive_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/store/s3store"
	"github.com/canic-backup/canic-backup/internal/seaweed"
)

const s3Bucket = "canic-archive"

// startSeaweed runs a SeaweedFS server for tb and returns a store on a
// fresh bucket prefix.
func startSeaweed(tb testing.TB, prefix string) *s3store.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	logf := func(f string, a ...any) { tb.Logf(f, a...) }
	root, err := seaweed.RepoRoot()
	require.NoError(tb, err)
	bin, err := seaweed.Binary(ctx, root, logf)
	require.NoError(tb, err)
	srv, err := seaweed.Start(ctx, bin, seaweed.Options{Logf: logf})
	require.NoError(tb, err)
	tb.Cleanup(srv.Stop)
	require.NoError(tb, srv.CreateBucket(ctx, s3Bucket))
	s, err := s3store.Open(ctx, "archive", store.Settings{Kind: store.KindS3, Endpoint: srv.Endpoint,
		Bucket: s3Bucket, Prefix: prefix, Region: "us-east-1", PathStyle: true},
		s3store.Options{Credentials: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, "")})
	require.NoError(tb, err)
	return s
}

// writeRandom writes size pseudo-random bytes to path.
func writeRandom(tb testing.TB, path string, size int64, seed uint64) {
	tb.Helper()
	f, err := os.Create(path)
	require.NoError(tb, err)
	defer f.Close()
	_, err = io.CopyN(f, rand.NewChaCha8([32]byte{byte(seed)}), size)
	require.NoError(tb, err)
}

// bigBackup is the golden backup with the hub's stable memory replaced by
// size random bytes, its checksum updated in the manifest and journal.
func bigBackup(t *testing.T, name string, size int64) string {
	tb := t
	dir := goldenBackup(t, name)
	ctx := context.Background()
	art := filepath.Join(dir, hubID)
	old, err := checksum.FromPath(ctx, art)
	require.NoError(tb, err)
	writeRandom(tb, filepath.Join(art, "memory", "stable.bin"), size, 1)
	sum, err := checksum.FromPath(ctx, art)
	require.NoError(tb, err)
	replaceInDocs(t, dir, old.Hash, sum.Hash)
	return dir
}

// Publish, verify and fetch through a real S3 server, with an artifact
// file large enough for a multipart upload.
func TestSeaweedPublishVerifyFetch(t *testing.T) {
	ctx := context.Background()
	s := startSeaweed(t, "backups/")
	dir := bigBackup(t, "fleet-demo-big", 20<<20)

	rep, err := archive.Publish(ctx, s, "fleet-demo-big", dir, archive.PublishOptions{})
	require.NoError(t, err)
	assert.Equal(t, 16, rep.Objects, "4 documents + 12 artifact files")
	assert.Equal(t, rep.Objects, rep.Uploaded)
	assert.Greater(t, rep.UploadedBytes, int64(20<<20))

	again, err := archive.Publish(ctx, s, "fleet-demo-big", dir, archive.PublishOptions{})
	require.NoError(t, err)
	assert.Equal(t, rep.Objects, again.Skipped, "an identical backup is not sent again")
	assert.Zero(t, again.UploadedBytes)

	list, err := archive.List(ctx, s)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.True(t, list[0].HasManifest)
	assert.Equal(t, rep.Bytes, list[0].Bytes)

	vrep, err := archive.Verify(ctx, s, "fleet-demo-big", archive.VerifyOptions{})
	require.NoError(t, err)
	assert.Equal(t, 3, vrep.Sampled)
	assert.Greater(t, vrep.Bytes, int64(20<<20))

	dst := filepath.Join(t.TempDir(), "fleet-demo-big")
	frep, err := archive.Fetch(ctx, s, "fleet-demo-big", dst, archive.FetchOptions{AllArtifacts: true})
	require.NoError(t, err)
	assert.Equal(t, 16, frep.Downloaded)
	assert.Equal(t, filesOf(t, dir), filesOf(t, dst))

	require.NoError(t, archive.Delete(ctx, s, "fleet-demo-big"))
	list, err = archive.List(ctx, s)
	require.NoError(t, err)
	assert.Empty(t, list)
}

// BenchmarkPublish256MiB publishes a 256 MiB backup (the golden one with
// 4 artifact files of 64 MiB) to a directory store and to SeaweedFS.
func BenchmarkPublish256MiB(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "big")
	require.NoError(b, os.MkdirAll(dir, 0o755))
	for i := range 4 {
		p := filepath.Join(dir, "artifact", fmt.Sprintf("part-%d.bin", i))
		require.NoError(b, os.MkdirAll(filepath.Dir(p), 0o755))
		writeRandom(b, p, 64<<20, uint64(i))
	}
	require.NoError(b, os.WriteFile(filepath.Join(dir, "fleet-backup-manifest.json"), []byte("{}"), 0o644))
	run := func(b *testing.B, s store.Store) {
		ctx := context.Background()
		b.SetBytes(256 << 20)
		b.ResetTimer()
		for i := range b.N {
			name := fmt.Sprintf("b%d-%d", b.N, i)
			rep, err := archive.Publish(ctx, s, name, dir, archive.PublishOptions{})
			require.NoError(b, err)
			b.ReportMetric(float64(rep.Bytes)/rep.Duration.Seconds()/1e6, "publish-MB/s")
		}
	}
	b.Run("dir", func(b *testing.B) {
		s, err := dirstoreOpen(b.TempDir())
		require.NoError(b, err)
		run(b, s)
	})
	s3 := startSeaweed(b, "bench/") // once: b.Run calls its function for each b.N
	b.Run("s3", func(b *testing.B) { run(b, s3) })
}
