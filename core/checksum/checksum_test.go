package checksum

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/canic-backup/canic-backup/internal/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// byte_checksum_matches_sha256_vector
func TestByteChecksumMatchesSHA256Vector(t *testing.T) {
	c := FromBytes(nil)
	assert.Equal(t, "sha256", c.Algorithm)
	assert.Equal(t, EmptyHash, c.Hash)
	assert.Equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", FromBytes([]byte("abc")).Hash)
}

// file_checksum_matches_byte_checksum
func TestFileChecksumMatchesByteChecksum(t *testing.T) {
	data := bytes.Repeat([]byte("canic-backup artifact\n"), 200000) // > BufferSize: several reads
	p := filepath.Join(t.TempDir(), "artifact.bin")
	require.NoError(t, os.WriteFile(p, data, 0o600))
	got, err := FromFile(context.Background(), p)
	require.NoError(t, err)
	assert.Equal(t, FromBytes(data), got)
	viaPath, err := FromPath(context.Background(), p)
	require.NoError(t, err)
	assert.Equal(t, got, viaPath)
}

// directory_checksum_is_order_independent
func TestDirectoryChecksumIsOrderIndependent(t *testing.T) {
	files := map[string]string{"b.bin": "b", "a/x.bin": "x", "a/y/z.bin": "z", "c": ""}
	names := []string{"b.bin", "a/x.bin", "a/y/z.bin", "c"}
	build := func(order []string) string {
		root := t.TempDir()
		for _, n := range order {
			p := filepath.Join(root, filepath.FromSlash(n))
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, []byte(files[n]), 0o600))
		}
		c, err := FromDirectory(context.Background(), root)
		require.NoError(t, err)
		return c.Hash
	}
	forward := build(names)
	reversed := slices.Clone(names)
	slices.Reverse(reversed)
	assert.Equal(t, forward, build(reversed))
	assert.NotEqual(t, EmptyHash, forward)
}

// checksum_verify_rejects_mismatch
func TestChecksumVerifyRejectsMismatch(t *testing.T) {
	c := FromBytes([]byte("x"))
	require.NoError(t, c.Verify(c.Hash))
	err := c.Verify(EmptyHash)
	var mm *MismatchError
	require.ErrorAs(t, err, &mm)
	assert.ErrorIs(t, err, ErrMismatch)
	assert.Equal(t, "checksum mismatch: expected "+EmptyHash+", actual "+c.Hash, err.Error())
	// One rule everywhere: hex compares regardless of case (0.35.1 failed
	// an upper-case expected hash; docs/compat.md); other digits still fail.
	assert.NoError(t, c.Verify(strings.ToUpper(c.Hash)))
	assert.ErrorIs(t, c.Verify(strings.ToUpper(EmptyHash)), ErrMismatch)
	bad := Checksum{Algorithm: "md5", Hash: c.Hash}
	err = bad.Verify(c.Hash)
	assert.ErrorIs(t, err, ErrUnsupportedAlgorithm)
	assert.EqualError(t, err, "unsupported checksum algorithm md5")
}

func TestEmptyDirectoryHashesToEmptyInput(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(root, "empty"), 0o755))
	c, err := FromDirectory(context.Background(), root)
	require.NoError(t, err)
	assert.Equal(t, EmptyHash, c.Hash)
}

func TestComparePathsIsComponentWise(t *testing.T) {
	paths := []string{"a.c", "a-b", "a/b", "B"}
	slices.SortFunc(paths, ComparePaths)
	assert.Equal(t, []string{"B", "a/b", "a-b", "a.c"}, paths)
	assert.Equal(t, 0, ComparePaths("a//b", "a/./b"))
	assert.Equal(t, -1, ComparePaths("a", "a/b"))
	assert.Equal(t, 1, ComparePaths("a/b", "a"))
}

// The golden checksum-order fixture and the three golden artifacts hash to
// the values 0.35.1 computed.
func TestGoldenArtifactChecksums(t *testing.T) {
	ctx := context.Background()
	order, err := FromPath(ctx, golden.Path(t, "backup/extra/checksum-order-fixture"))
	require.NoError(t, err)
	assert.Equal(t, "1c34769cd7a6a5a6fb6220130285b733a9e7db360d37ea2b112739624c156f9a", order.Hash)

	want := golden.Read(t, "backup/extra/artifact-checksums.txt")
	var got bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(want))
	for sc.Scan() {
		id, _, ok := strings.Cut(sc.Text(), " ")
		require.True(t, ok, "line %q", sc.Text())
		c, err := FromPath(ctx, golden.Path(t, "backup/extra/artifacts/"+id))
		require.NoError(t, err)
		got.WriteString(id + " " + c.Hash + "\n")
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, strings.TrimRight(string(want), "\n"), strings.TrimRight(got.String(), "\n"))
	assert.Equal(t, 3, strings.Count(got.String(), "\n"))
}

func TestSymlinkInsideArtifactIsRejected(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "real"), []byte("r"), 0o600))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "memory"), 0o755))
	link := filepath.Join(root, "memory", "heap.bin")
	require.NoError(t, os.Symlink("../real", link))
	_, err := FromDirectory(context.Background(), root)
	var ee *EntryError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, link, ee.Path)
	assert.Equal(t, "symbolic link", ee.Kind)
	assert.ErrorIs(t, err, ErrUnsupportedEntry)
	assert.Contains(t, err.Error(), link)

	// The artifact path itself must not be a symlink either.
	top := filepath.Join(t.TempDir(), "artifact")
	require.NoError(t, os.Symlink(filepath.Join(root, "real"), top))
	_, err = FromPath(context.Background(), top)
	assert.ErrorIs(t, err, ErrUnsupportedEntry)
}

func TestFirstBadFileIsReportedInPathOrder(t *testing.T) {
	root := t.TempDir()
	for i := range 20 {
		require.NoError(t, os.WriteFile(filepath.Join(root, string(rune('a'+i))), bytes.Repeat([]byte{byte(i)}, 1<<16), 0o600))
	}
	require.NoError(t, os.Symlink("a", filepath.Join(root, "k-link")))
	require.NoError(t, os.Symlink("a", filepath.Join(root, "q-link")))
	for range 5 {
		_, err := FromDirectory(context.Background(), root)
		var ee *EntryError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, filepath.Join(root, "k-link"), ee.Path)
	}
}

func TestCancelledContextStopsHashing(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "f"), []byte("x"), 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := FromDirectory(ctx, root)
	assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
	_, err = FromFile(ctx, filepath.Join(root, "f"))
	assert.ErrorIs(t, err, context.Canceled)
}

func TestMissingPathIsNotExist(t *testing.T) {
	_, err := FromPath(context.Background(), filepath.Join(t.TempDir(), "nope"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestWriterHashesWhileWriting(t *testing.T) {
	var sink bytes.Buffer
	w := NewWriter(&sink)
	for _, part := range []string{"heap:", "r7inp-6aaaa-aaaaa-aaabq-cai"} {
		_, err := w.Write([]byte(part))
		require.NoError(t, err)
	}
	assert.Equal(t, "heap:r7inp-6aaaa-aaaaa-aaabq-cai", sink.String())
	assert.Equal(t, FromBytes(sink.Bytes()), w.Checksum())
	assert.Equal(t, int64(sink.Len()), w.Size())

	// A Tree fed from Writer sums reproduces the directory checksum of the
	// golden artifact.
	dir := golden.Path(t, "backup/extra/artifacts/r7inp-6aaaa-aaaaa-aaabq-cai")
	var tree Tree
	for _, rel := range []string{"wasm_module.bin", "memory/stable.bin", "metadata.json", "memory/heap.bin"} {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		require.NoError(t, err)
		hw := NewWriter(nil)
		_, err = hw.Write(data)
		require.NoError(t, err)
		tree.Add(rel, hw.Sum())
	}
	assert.Equal(t, 4, tree.Len())
	assert.Equal(t, "ab6f27e08c80c4a215e610b403193a2c3ad7b0b9ce9195b52a77c4578a1bd4af", tree.Sum())
}

func TestIsHex64(t *testing.T) {
	assert.True(t, IsHex64(EmptyHash))
	assert.True(t, IsHex64(strings.ToUpper(EmptyHash)))
	assert.False(t, IsHex64(EmptyHash[:63]))
	assert.False(t, IsHex64("g"+EmptyHash[1:]))
	assert.False(t, IsHex64("not-a-sha"))
}

// TestNewEntryError: the kind names what the entry is, and the error
// matches ErrUnsupportedEntry.
func TestNewEntryError(t *testing.T) {
	for mode, kind := range map[os.FileMode]string{
		os.ModeSymlink:                    "symbolic link",
		os.ModeNamedPipe:                  "named pipe",
		os.ModeSocket:                     "socket",
		os.ModeDevice | os.ModeCharDevice: "device",
		os.ModeDir:                        "directory",
		os.ModeIrregular:                  "special file (?---------)",
	} {
		e := NewEntryError("b/x", mode)
		assert.Equal(t, kind, e.Kind, mode)
		assert.ErrorIs(t, e, ErrUnsupportedEntry)
		assert.Equal(t, "artifact entry b/x is a "+kind+"; artifacts may hold only regular files and directories", e.Error())
	}
}
