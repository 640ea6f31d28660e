package sealed_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/sealed"
	"github.com/canic-backup/canic-backup/core/store"
)

var errCrash = errors.New("simulated crash")

// crashingStore fails the n-th Put (or Delete) whose key has prefix, as a
// process killed at that step would leave the store: nothing of that call
// published, everything before it durable.
type crashingStore struct {
	store.Store
	prefix string
	delete bool
	n      int32
	seen   atomic.Int32
}

func (c *crashingStore) Put(ctx context.Context, key string, r io.Reader, opts store.PutOptions) (store.ObjectInfo, error) {
	if !c.delete && strings.HasPrefix(key, c.prefix) && c.seen.Add(1) == c.n {
		return store.ObjectInfo{}, errCrash
	}
	return c.Store.Put(ctx, key, r, opts)
}

func (c *crashingStore) Delete(ctx context.Context, key string) error {
	if c.delete && strings.HasPrefix(key, c.prefix) && c.seen.Add(1) == c.n {
		return errCrash
	}
	return c.Store.Delete(ctx, key)
}

func openOn(t *testing.T, env *repoEnv, s store.Store, identity bool) *sealed.Repo {
	t.Helper()
	ks := sealed.KeySettings{Recipients: []string{env.recip}, DedupKeyFile: env.dedup}
	if identity {
		ks = sealed.KeySettings{IdentityFile: env.identity}
	}
	keys, err := sealed.LoadKeys("vault", ks)
	require.NoError(t, err)
	r, err := sealed.Open(context.Background(), s, "vault", keys, env.opts)
	require.NoError(t, err)
	return r
}

// TestCrashDuringPackUploadResumes: a backup that dies after a pack is
// uploaded but before its index (or before its snapshot) is run again and
// completes; gc then removes the orphan pack and the backup restores.
func TestCrashDuringPackUploadResumes(t *testing.T) {
	for _, prefix := range []string{sealed.IndexPrefix, sealed.SnapshotPrefix, sealed.PackPrefix} {
		t.Run(strings.TrimSuffix(prefix, "/"), func(t *testing.T) {
			ctx := context.Background()
			env := newRepo(t)
			env.opts = sealed.Options{PackSize: 64 << 10}
			f := newFleet(t, 16*pageSize)
			cs := &crashingStore{Store: env.store, prefix: prefix, n: 2}
			w, err := openOn(t, env, cs, false).NewWriter(ctx, "b")
			require.NoError(t, err)
			var crashed bool
			for _, id := range canisterIDs {
				if err := w.Put(ctx, id, f.dir+"/"+id, f.sums[id]); err != nil {
					require.ErrorIs(t, err, errCrash)
					crashed = true
					break
				}
			}
			require.True(t, crashed)
			// The run again, on a new process (fresh repo, same store).
			f.backup(t, env.writer(t), "b")
			r := env.reader(t)
			for i := 0; i < 2; i++ {
				_, err := r.GC(ctx, sealed.GCOptions{Grace: -1})
				require.NoError(t, err)
			}
			out := t.TempDir()
			_, err = r.Restore(ctx, "b", out, sealed.RestoreOptions{All: true})
			require.NoError(t, err)
			for rel, want := range f.sums {
				c, err := checksum.FromPath(ctx, out+"/"+rel)
				require.NoError(t, err)
				assert.Equal(t, want, c.Hash)
			}
			_, err = r.Verify(ctx, "b", sealed.VerifyOptions{})
			require.NoError(t, err)
		})
	}
}

// TestCrashDuringGCResumes: gc dying between an index delete and its pack
// delete, or in the middle of repacking, loses nothing: the next passes
// finish the job and every kept backup restores.
func TestCrashDuringGCResumes(t *testing.T) {
	for _, c := range []struct {
		name   string
		prefix string
		delete bool
	}{{"pack-delete", sealed.PackPrefix, true}, {"index-delete", sealed.IndexPrefix, true}, {"repack-upload", sealed.PackPrefix, false}} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			env := newRepo(t)
			env.opts = sealed.Options{PackSize: 64 << 10}
			f := newFleet(t, 32*pageSize)
			w := env.writer(t)
			for n := 0; n < 4; n++ {
				if n > 0 {
					f.night(t, 0.1)
				}
				f.backup(t, w, string(rune('a'+n)))
			}
			r := env.reader(t)
			for _, name := range []string{"a", "b", "c"} {
				require.NoError(t, r.Forget(ctx, name))
			}
			_, err := r.GC(ctx, sealed.GCOptions{Grace: -1})
			require.NoError(t, err)
			cs := &crashingStore{Store: env.store, prefix: c.prefix, delete: c.delete, n: 1}
			_, err = openOn(t, env, cs, true).GC(ctx, sealed.GCOptions{Grace: -1})
			if !c.delete {
				// The first pass already repacked; force a repack now.
				_, err = openOn(t, env, cs, true).GC(ctx, sealed.GCOptions{Grace: -1, RepackWaste: 0.0001})
			}
			require.ErrorIs(t, err, errCrash)
			for i := 0; i < 3; i++ {
				_, err := env.reader(t).GC(ctx, sealed.GCOptions{Grace: -1})
				require.NoError(t, err)
			}
			r = env.reader(t)
			out := t.TempDir()
			_, err = r.Restore(ctx, "d", out, sealed.RestoreOptions{All: true})
			require.NoError(t, err)
			for rel, want := range f.sums {
				c, err := checksum.FromPath(ctx, out+"/"+rel)
				require.NoError(t, err)
				assert.Equal(t, want, c.Hash)
			}
			_, err = r.Verify(ctx, "d", sealed.VerifyOptions{})
			require.NoError(t, err)
			list, err := r.List(ctx)
			require.NoError(t, err)
			require.Len(t, list, 1)
		})
	}
}
