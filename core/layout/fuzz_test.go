package layout_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/layout"
)

// FuzzResolve: a path Resolve accepts stays inside the backup directory,
// lexically and through every existing symlink on the way (root/in links
// inside, root/out outside, root/loop to itself).
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"artifacts/x", "in/x", "out/x", "loop/x", "../x", "a/../../x", "/etc", "./a//b/.",
		"", ".", "in", "out", "a/b/c", "in/../out", `a\..\..\x`, "x.tmp"} {
		f.Add(s)
	}
	root := f.TempDir()
	outside := f.TempDir()
	require.NoError(f, os.MkdirAll(filepath.Join(root, "a", "b"), 0o755))
	require.NoError(f, os.Symlink(filepath.Join(root, "a"), filepath.Join(root, "in")))
	require.NoError(f, os.Symlink(outside, filepath.Join(root, "out")))
	require.NoError(f, os.Symlink("loop", filepath.Join(root, "loop")))
	realRoot, err := filepath.EvalSymlinks(root)
	require.NoError(f, err)
	inside := func(root, p string) bool {
		r, err := filepath.Rel(root, p)
		return err == nil && r != ".." && !strings.HasPrefix(r, "../") && !filepath.IsAbs(r)
	}
	l := layout.New(root)
	f.Fuzz(func(t *testing.T, rel string) {
		got, err := l.Resolve(rel)
		if err != nil {
			return
		}
		require.True(t, inside(root, got), "%q resolved to %s outside %s", rel, got, root)
		require.NotEqual(t, filepath.Clean(root), filepath.Clean(got), "%q names the root itself", rel)
		// The longest existing prefix, symlinks followed, is inside too.
		for p := got; inside(root, p) || p == root; p = filepath.Dir(p) {
			if real, err := filepath.EvalSymlinks(p); err == nil {
				require.True(t, inside(realRoot, real) || real == realRoot, "%q leads through %s to %s", rel, p, real)
				break
			}
		}
	})
}
