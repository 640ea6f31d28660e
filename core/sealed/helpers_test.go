package sealed_test

import (
	"context"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/sealed"
	"github.com/canic-backup/canic-backup/core/store/dirstore"
	"github.com/canic-backup/canic-backup/core/verify"
	"github.com/canic-backup/canic-backup/internal/golden"
)

var canisterIDs = []string{"r7inp-6aaaa-aaaaa-aaabq-cai", "renrk-eyaaa-aaaaa-aaada-cai", "rno2w-sqaaa-aaaaa-aaacq-cai"}

const pageSize = 64 << 10

// keyFiles writes an age identity file, and returns its path and recipient.
func keyFiles(t testing.TB) (identityFile, recipient string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	identityFile = filepath.Join(t.TempDir(), "identity.txt")
	require.NoError(t, os.WriteFile(identityFile, []byte(id.String()+"\n"), 0o600))
	return identityFile, id.Recipient().String()
}

type repoEnv struct {
	store    *dirstore.Store
	root     string
	identity string
	dedup    string
	recip    string
	opts     sealed.Options
}

// newRepo initialises a sealed dir store and returns its keys as files.
func newRepo(t testing.TB) *repoEnv {
	t.Helper()
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "store")
	s, err := dirstore.Open(root)
	require.NoError(t, err)
	idf, rcp := keyFiles(t)
	keys, err := sealed.LoadKeys("vault", sealed.KeySettings{Recipients: []string{rcp}})
	require.NoError(t, err)
	dedup, err := sealed.Init(ctx, s, "vault", keys, sealed.InitOptions{})
	require.NoError(t, err)
	dk := filepath.Join(t.TempDir(), "dedup.key")
	require.NoError(t, sealed.WriteDedupKeyFile(dk, dedup))
	return &repoEnv{store: s, root: root, identity: idf, dedup: dk, recip: rcp, opts: sealed.Options{PackSize: 4 << 20}}
}

// writer opens the repo as a recipients-only host.
func (e *repoEnv) writer(t testing.TB) *sealed.Repo {
	t.Helper()
	keys, err := sealed.LoadKeys("vault", sealed.KeySettings{Recipients: []string{e.recip}, DedupKeyFile: e.dedup})
	require.NoError(t, err)
	r, err := sealed.Open(context.Background(), e.store, "vault", keys, e.opts)
	require.NoError(t, err)
	require.False(t, r.CanRead())
	return r
}

// reader opens the repo with the identity only.
func (e *repoEnv) reader(t testing.TB) *sealed.Repo {
	t.Helper()
	keys, err := sealed.LoadKeys("vault", sealed.KeySettings{IdentityFile: e.identity})
	require.NoError(t, err)
	r, err := sealed.Open(context.Background(), e.store, "vault", keys, e.opts)
	require.NoError(t, err)
	require.True(t, r.CanRead())
	return r
}

// fleet is a backup directory (the golden 0.35.1 documents) whose
// canisters' heap memory is size bytes of random data, changed each night.
type fleet struct {
	dir  string
	size int
	sums map[string]string // artifact path -> current checksum
	rng  *rand.Rand
}

func newFleet(t testing.TB, size int) *fleet {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "backup")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	for _, f := range []string{layout.PlanFile, layout.ExecutionJournalFile, layout.DownloadJournalFile, layout.ManifestFile} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), golden.Read(t, "backup/"+f), 0o600))
	}
	src := golden.Path(t, "backup/extra/artifacts")
	require.NoError(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o600)
	}))
	f := &fleet{dir: dir, size: size, sums: map[string]string{}, rng: rand.New(rand.NewPCG(1, 2))}
	m, err := verify.DecodeManifest(golden.Read(t, "backup/"+layout.ManifestFile), "golden")
	require.NoError(t, err)
	for _, mem := range m.Fleet.Members {
		f.sums[mem.SourceSnapshot.ArtifactPath] = *mem.SourceSnapshot.Checksum
	}
	for _, id := range canisterIDs {
		rel := id
		require.Contains(t, f.sums, rel)
		mem := make([]byte, size)
		for i := range mem {
			mem[i] = byte(f.rng.Uint32())
		}
		require.NoError(t, os.MkdirAll(filepath.Join(dir, rel, "memory"), 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(dir, rel, "memory", "heap.bin"), mem, 0o600))
	}
	f.resum(t)
	return f
}

// resum recomputes the artifact checksums and writes them into the docs.
func (f *fleet) resum(t testing.TB) {
	t.Helper()
	for _, id := range canisterIDs {
		rel := id
		c, err := checksum.FromPath(context.Background(), filepath.Join(f.dir, rel))
		require.NoError(t, err)
		if c.Hash == f.sums[rel] {
			continue
		}
		for _, doc := range []string{layout.DownloadJournalFile, layout.ManifestFile} {
			p := filepath.Join(f.dir, doc)
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			if strings.Contains(string(data), f.sums[rel]) {
				require.NoError(t, os.WriteFile(p, []byte(strings.ReplaceAll(string(data), f.sums[rel], c.Hash)), 0o600))
			}
		}
		f.sums[rel] = c.Hash
	}
}

// night rewrites fraction of each heap's 64 KiB pages at random places.
func (f *fleet) night(t testing.TB, fraction float64) {
	t.Helper()
	pages := f.size / pageSize
	k := max(1, int(float64(pages)*fraction+0.5))
	for _, id := range canisterIDs {
		p := filepath.Join(f.dir, id, "memory", "heap.bin")
		mem, err := os.ReadFile(p)
		require.NoError(t, err)
		for _, idx := range f.rng.Perm(pages)[:k] {
			for i := idx * pageSize; i < (idx+1)*pageSize; i++ {
				mem[i] = byte(f.rng.Uint32())
			}
		}
		require.NoError(t, os.WriteFile(p, mem, 0o600))
	}
	f.resum(t)
}

// backup writes the fleet directory as backup name.
func (f *fleet) backup(t testing.TB, r *sealed.Repo, name string) sealed.WriteReport {
	t.Helper()
	ctx := context.Background()
	w, err := r.NewWriter(ctx, name)
	require.NoError(t, err)
	defer w.Close()
	for _, id := range canisterIDs {
		rel := id
		require.NoError(t, w.Put(ctx, rel, filepath.Join(f.dir, rel), f.sums[rel]))
	}
	for _, doc := range []string{layout.PlanFile, layout.ExecutionJournalFile, layout.DownloadJournalFile, layout.ManifestFile} {
		data, err := os.ReadFile(filepath.Join(f.dir, doc))
		require.NoError(t, err)
		require.NoError(t, w.PutDocument(ctx, doc, data))
	}
	require.NoError(t, w.Commit(ctx))
	return w.Report()
}

// dirSize is the bytes of every file below dir.
func dirSize(t testing.TB, dir string) int64 {
	t.Helper()
	var n int64
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		n += info.Size()
		return err
	}))
	return n
}

// sums maps each artifact to its checksum.
func (f *fleet) snapshotSums() map[string]string {
	out := map[string]string{}
	for k, v := range f.sums {
		out[k] = v
	}
	return out
}
