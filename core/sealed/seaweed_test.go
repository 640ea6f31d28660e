package sealed_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/principal"
	"github.com/canic-backup/canic-backup/core/sealed"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/store/s3store"
	"github.com/canic-backup/canic-backup/internal/seaweed"
)

// TestSealedOnSeaweedFS writes three nights into a sealed repository in a
// real SeaweedFS bucket from a recipients-only host, restores the last
// night byte-identical with the identity, and scans every object of the
// bucket: none holds a 32-byte run of any canister's memory or a canister
// id as text or bytes.
func TestSealedOnSeaweedFS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	logf := func(f string, a ...any) { t.Logf(f, a...) }
	root, err := seaweed.RepoRoot()
	require.NoError(t, err)
	bin, err := seaweed.Binary(ctx, root, logf)
	require.NoError(t, err)
	srv, err := seaweed.Start(ctx, bin, seaweed.Options{Logf: logf})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	require.NoError(t, srv.CreateBucket(ctx, "canic-sealed"))
	s, err := s3store.Open(ctx, "vault", store.Settings{Kind: store.KindS3, Endpoint: srv.Endpoint,
		Bucket: "canic-sealed", Region: "us-east-1", PathStyle: true},
		s3store.Options{Credentials: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, "")})
	require.NoError(t, err)

	idf, rcp := keyFiles(t)
	keys, err := sealed.LoadKeys("vault", sealed.KeySettings{Recipients: []string{rcp}})
	require.NoError(t, err)
	dedup, err := sealed.Init(ctx, s, "vault", keys, sealed.InitOptions{})
	require.NoError(t, err)
	keys.DedupKey = dedup
	w, err := sealed.Open(ctx, s, "vault", keys, sealed.Options{PackSize: 1 << 20})
	require.NoError(t, err)

	f := newFleet(t, 32*pageSize)
	var mems [][]byte
	for n := 0; n < 3; n++ {
		if n > 0 {
			f.night(t, 0.05)
		}
		for _, id := range canisterIDs {
			b, err := os.ReadFile(filepath.Join(f.dir, id, "memory", "heap.bin"))
			require.NoError(t, err)
			mems = append(mems, b)
		}
		f.backup(t, w, fmt.Sprintf("night-%d", n))
	}
	_, err = w.Restore(ctx, "night-2", t.TempDir(), sealed.RestoreOptions{All: true})
	require.ErrorIs(t, err, sealed.ErrNoIdentity)

	rk, err := sealed.LoadKeys("vault", sealed.KeySettings{IdentityFile: idf})
	require.NoError(t, err)
	r, err := sealed.Open(ctx, s, "vault", rk, sealed.Options{})
	require.NoError(t, err)
	out := t.TempDir()
	_, err = r.Restore(ctx, "night-2", out, sealed.RestoreOptions{All: true})
	require.NoError(t, err)
	for rel, want := range f.sums {
		c, err := checksum.FromPath(ctx, filepath.Join(out, rel))
		require.NoError(t, err)
		assert.Equal(t, want, c.Hash)
	}

	blocks := map[[16]byte]bool{}
	for _, m := range mems {
		for i := 0; i+16 <= len(m); i += 16 {
			blocks[[16]byte(m[i:i+16])] = true
		}
	}
	var needles [][]byte
	for _, id := range canisterIDs {
		p, err := principal.Parse(id)
		require.NoError(t, err)
		needles = append(needles, []byte(id), p.Bytes())
	}
	objs, err := s.List(ctx, "")
	require.NoError(t, err)
	require.Greater(t, len(objs), 5)
	for _, o := range objs {
		for _, n := range needles {
			assert.NotContains(t, o.Key, string(n))
		}
		obj, err := s.Get(ctx, o.Key)
		require.NoError(t, err)
		data, err := io.ReadAll(obj)
		obj.Close()
		require.NoError(t, err)
		for _, n := range needles {
			assert.False(t, bytes.Contains(data, n), "object %s holds a canister id", o.Key)
		}
		for i := 0; i+16 <= len(data); i++ {
			if blocks[[16]byte(data[i:i+16])] {
				t.Fatalf("object %s holds canister memory at offset %d", o.Key, i)
			}
		}
	}
}
