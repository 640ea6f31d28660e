package sealed_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/principal"
	"github.com/canic-backup/canic-backup/core/sealed"
	"github.com/canic-backup/canic-backup/core/verify"
)

const memSize = 100 * pageSize // 6.25 MiB a canister: 1% is one page

// TestNightlyBackupsDeduplicateAndRestore backs up a fleet of three
// canisters over several nights, each changing 1% of every canister's
// memory, from a recipients-only host: after the first night the store
// grows by less than 3% of the fleet a night (a plain store grows by the
// whole fleet), every backup restores byte-identical with the identity,
// and no stored object holds a run of memory or a canister id.
func TestNightlyBackupsDeduplicateAndRestore(t *testing.T) {
	ctx := context.Background()
	env := newRepo(t)
	w := env.writer(t)
	f := newFleet(t, memSize)
	const nights = 4
	fleetSize := dirSize(t, f.dir)
	sums := make([]map[string]string, nights)
	var mems [][]byte
	prev := dirSize(t, env.root)
	for n := 0; n < nights; n++ {
		if n > 0 {
			f.night(t, 0.01)
		}
		for _, id := range canisterIDs {
			b, err := os.ReadFile(filepath.Join(f.dir, id, "memory", "heap.bin"))
			require.NoError(t, err)
			mems = append(mems, b)
		}
		rep := f.backup(t, w, fmt.Sprintf("night-%02d", n))
		sums[n] = f.snapshotSums()
		size := dirSize(t, env.root)
		growth := size - prev
		t.Logf("night %d: store %d bytes (+%d, %.2f%% of fleet %d); new chunks %d of %d", n, size, growth,
			100*float64(growth)/float64(fleetSize), fleetSize, rep.NewChunks, rep.Chunks)
		if n > 0 {
			assert.Less(t, float64(growth), 0.03*float64(fleetSize), "night %d grew the store by %d bytes", n, growth)
		} else {
			assert.Greater(t, growth, int64(fleetSize/2), "the first night stores the fleet")
		}
		prev = size
	}

	// The recipients-only host cannot restore, and says so naming the store.
	_, err := w.Restore(ctx, "night-00", t.TempDir(), sealed.RestoreOptions{All: true})
	require.ErrorIs(t, err, sealed.ErrNoIdentity)
	assert.Contains(t, err.Error(), "store vault")
	assert.Contains(t, err.Error(), "identity_file")

	r := env.reader(t)
	for n := 0; n < nights; n++ {
		out := t.TempDir()
		name := fmt.Sprintf("night-%02d", n)
		rep, err := r.Restore(ctx, name, out, sealed.RestoreOptions{All: true})
		require.NoError(t, err)
		assert.Equal(t, len(canisterIDs), rep.Artifacts)
		assert.Equal(t, 4, rep.Documents)
		for rel, want := range sums[n] {
			c, err := checksum.FromPath(ctx, filepath.Join(out, rel))
			require.NoError(t, err)
			assert.Equal(t, want, c.Hash, "%s %s", name, rel)
		}
		vr, err := r.Verify(ctx, name, sealed.VerifyOptions{})
		require.NoError(t, err)
		assert.True(t, vr.Content)
		assert.Equal(t, len(canisterIDs), vr.Sampled)
	}

	list, err := r.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, nights)
	for _, b := range list {
		assert.True(t, b.Complete)
		assert.Greater(t, b.StoredBytes, int64(len(canisterIDs)*memSize/2), b.Name)
		assert.Less(t, b.UniqueBytes, b.StoredBytes, b.Name)
	}

	scanStore(t, env.root, mems)
}

// scanStore fails when an object holds a 32-byte run of any memory or any
// canister id as text or bytes: every 32-byte run of a memory contains a
// 16-byte block aligned at a multiple of 16 in that memory, so looking up
// every 16-byte window of every object finds any such run.
func scanStore(t *testing.T, root string, mems [][]byte) {
	t.Helper()
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
	objects := 0
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		objects++
		rel, _ := filepath.Rel(root, p)
		for _, n := range needles {
			assert.NotContains(t, rel, string(n))
		}
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		for _, n := range needles {
			assert.False(t, bytes.Contains(data, n), "object %s holds a canister id", rel)
		}
		for i := 0; i+16 <= len(data); i++ {
			if blocks[[16]byte(data[i:i+16])] {
				t.Fatalf("object %s holds canister memory at offset %d", rel, i)
			}
		}
		return nil
	}))
	assert.Greater(t, objects, 5)
}

// TestTamperedPackFailsVerify flips one byte of a pack: verify without a
// key (structure and digests) fails as a verification error naming the
// pack and every backup that uses it.
func TestTamperedPackFailsVerify(t *testing.T) {
	ctx := context.Background()
	env := newRepo(t)
	w := env.writer(t)
	f := newFleet(t, 16*pageSize)
	f.backup(t, w, "a")
	f.backup(t, w, "b")
	_, err := w.Verify(ctx, "a", sealed.VerifyOptions{})
	require.NoError(t, err)
	packs, err := env.store.List(ctx, sealed.PackPrefix)
	require.NoError(t, err)
	require.NotEmpty(t, packs)
	p := filepath.Join(env.root, filepath.FromSlash(packs[0].Key))
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	data[len(data)/2] ^= 1
	require.NoError(t, os.WriteFile(p, data, 0o600))

	_, err = env.writer(t).Verify(ctx, "a", sealed.VerifyOptions{})
	require.ErrorIs(t, err, verify.ErrVerification)
	var pe *sealed.PackError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, packs[0].Key, sealed.PackPrefix+pe.Pack)
	assert.Equal(t, []string{"a", "b"}, pe.Backups)
	assert.Contains(t, err.Error(), packs[0].Key)

	_, err = env.reader(t).Restore(ctx, "b", t.TempDir(), sealed.RestoreOptions{All: true})
	require.ErrorIs(t, err, sealed.ErrCorrupt)
}

// TestGCAfterPruneFreesUniqueBytes prunes most backups: two gc passes
// reclaim their unique packs, the rest stay restorable and verified.
func TestGCAfterPruneFreesUniqueBytes(t *testing.T) {
	ctx := context.Background()
	env := newRepo(t)
	// Small packs so that packs are mostly one night's chunks.
	env.opts = sealed.Options{PackSize: 256 << 10}
	w := env.writer(t)
	f := newFleet(t, memSize)
	const nights = 6
	sums := map[string]map[string]string{}
	for n := 0; n < nights; n++ {
		if n > 0 {
			f.night(t, 0.05)
		}
		name := fmt.Sprintf("n%d", n)
		f.backup(t, w, name)
		sums[name] = f.snapshotSums()
	}
	r := env.reader(t)
	list, err := r.List(ctx)
	require.NoError(t, err)
	var unique int64
	for _, b := range list[:nights-2] {
		unique += b.UniqueBytes
	}
	before := dirSize(t, env.root)

	// gc needs the identity.
	_, err = w.GC(ctx, sealed.GCOptions{})
	require.ErrorIs(t, err, sealed.ErrNoIdentity)

	for n := 0; n < nights-2; n++ {
		require.NoError(t, r.Forget(ctx, fmt.Sprintf("n%d", n)))
	}
	g1, err := r.GC(ctx, sealed.GCOptions{Grace: -1})
	require.NoError(t, err)
	assert.Zero(t, g1.Deleted, "the first pass only marks")
	assert.Positive(t, g1.Marked)
	g2, err := r.GC(ctx, sealed.GCOptions{Grace: -1})
	require.NoError(t, err)
	assert.Equal(t, g1.Marked, g2.Deleted)
	after := dirSize(t, env.root)
	t.Logf("unique bytes of pruned backups %d; store %d -> %d (freed %d, gc %d)", unique, before, after, before-after, g2.DeletedBytes)
	// Chunks shared only among pruned backups are unique to none of them,
	// so at least the sum of unique bytes is freed (repacking included).
	assert.GreaterOrEqual(t, before-after, unique)
	assert.Positive(t, g1.Repacked)

	for _, name := range []string{fmt.Sprintf("n%d", nights-2), fmt.Sprintf("n%d", nights-1)} {
		out := t.TempDir()
		_, err := r.Restore(ctx, name, out, sealed.RestoreOptions{All: true})
		require.NoError(t, err)
		for rel, want := range sums[name] {
			c, err := checksum.FromPath(ctx, filepath.Join(out, rel))
			require.NoError(t, err)
			assert.Equal(t, want, c.Hash)
		}
		_, err = r.Verify(ctx, name, sealed.VerifyOptions{})
		require.NoError(t, err)
	}
	// Writing again after gc deduplicates against what is left.
	rep := f.backup(t, env.writer(t), "again")
	assert.Zero(t, rep.NewChunks)
}

// TestGCGracePeriodAndMarks: a pack is kept until it was unreferenced in
// two consecutive passes and the grace period passed; a pack referenced
// again loses its mark.
func TestGCGracePeriod(t *testing.T) {
	ctx := context.Background()
	env := newRepo(t)
	f := newFleet(t, 8*pageSize)
	r := env.reader(t)
	f.backup(t, r, "a")
	require.NoError(t, r.Forget(ctx, "a"))
	g, err := r.GC(ctx, sealed.GCOptions{})
	require.NoError(t, err)
	assert.Positive(t, g.Marked)
	g, err = r.GC(ctx, sealed.GCOptions{})
	require.NoError(t, err)
	assert.Zero(t, g.Deleted, "within the grace period")
	f.backup(t, r, "b") // references the same chunks again
	g, err = r.GC(ctx, sealed.GCOptions{Grace: -1})
	require.NoError(t, err)
	assert.Zero(t, g.Deleted)
	assert.Zero(t, g.Marked)
	_, err = r.Verify(ctx, "b", sealed.VerifyOptions{})
	require.NoError(t, err)
}

// TestKeys: init refuses a non-empty store; a wrong dedup key or identity
// is a clear error naming the store; a missing key file names the field.
func TestKeys(t *testing.T) {
	ctx := context.Background()
	env := newRepo(t)
	keys, err := sealed.LoadKeys("vault", sealed.KeySettings{Recipients: []string{env.recip}})
	require.NoError(t, err)
	_, err = sealed.Init(ctx, env.store, "vault", keys, sealed.InitOptions{})
	require.ErrorContains(t, err, "not empty")

	otherKey := filepath.Join(t.TempDir(), "other.key")
	k, err := sealed.NewDedupKey()
	require.NoError(t, err)
	require.NoError(t, sealed.WriteDedupKeyFile(otherKey, k))
	require.Error(t, sealed.WriteDedupKeyFile(otherKey, k), "never overwrites a key file")
	keys, err = sealed.LoadKeys("vault", sealed.KeySettings{Recipients: []string{env.recip}, DedupKeyFile: otherKey})
	require.NoError(t, err)
	_, err = sealed.Open(ctx, env.store, "vault", keys, sealed.Options{})
	require.ErrorIs(t, err, sealed.ErrWrongKey)
	assert.Contains(t, err.Error(), "store vault")

	otherID, _ := keyFiles(t)
	keys, err = sealed.LoadKeys("vault", sealed.KeySettings{IdentityFile: otherID})
	require.NoError(t, err)
	_, err = sealed.Open(ctx, env.store, "vault", keys, sealed.Options{})
	require.ErrorIs(t, err, sealed.ErrWrongKey)
	assert.NotContains(t, err.Error(), "AGE-SECRET-KEY")

	_, err = sealed.LoadKeys("vault", sealed.KeySettings{IdentityFile: "/nonexistent/id.txt"})
	require.ErrorIs(t, err, sealed.ErrKeyFile)
	assert.Contains(t, err.Error(), "stores.vault.identity_file")

	keys, err = sealed.LoadKeys("vault", sealed.KeySettings{Recipients: []string{env.recip}})
	require.NoError(t, err)
	_, err = sealed.Open(ctx, env.store, "vault", keys, sealed.Options{})
	require.ErrorIs(t, err, sealed.ErrNoIdentity)
}
