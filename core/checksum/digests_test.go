package checksum

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A directory's checksum from its files' digests, in any order, equals
// FromPath on the tree, including names whose component-wise order differs
// from the byte order of the full paths.
func TestFromFileDigestsEqualsFromPath(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	for rel, body := range map[string]string{
		"a/b":           "1",
		"a-b":           "2",
		"a.c":           "3",
		"memory/heap":   "4",
		"memory/stable": "5",
		"z":             "",
		"deep/x/y/z":    "6",
	} {
		p := filepath.Join(root, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(root, "empty"), 0o755))

	var files []FileDigest
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		c, err := FromFile(ctx, p)
		rel, _ := filepath.Rel(root, p)
		files = append(files, FileDigest{Rel: filepath.ToSlash(rel), SHA256: c.Hash})
		return err
	}))
	want, err := FromPath(ctx, root)
	require.NoError(t, err)
	assert.Equal(t, want, FromFileDigests(files))
	slices.Reverse(files)
	assert.Equal(t, want, FromFileDigests(files))
	assert.Equal(t, EmptyHash, FromFileDigests(nil).Hash)
	assert.NotEqual(t, want, FromFileDigests(files[1:]))
}
