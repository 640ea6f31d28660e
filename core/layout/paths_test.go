package layout_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/layout"
)

func TestResolveRefusesEscapes(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	l := layout.New(root)
	require.NoError(t, os.MkdirAll(filepath.Join(root, "art", "memory"), 0o755))
	require.NoError(t, os.Symlink(outside, filepath.Join(root, "out-link")))
	require.NoError(t, os.Symlink(filepath.Join(root, "art"), filepath.Join(root, "in-link")))
	require.NoError(t, os.Symlink("../../"+filepath.Base(outside), filepath.Join(root, "art", "rel-out")))

	bad := map[string]string{
		"":              "empty path",
		"/etc/passwd":   "absolute path",
		"../x":          "parent-directory component",
		"art/../../x":   "parent-directory component",
		".":             "names the backup directory itself",
		"out-link":      "symlink leads outside",
		"out-link/file": "symlink leads outside",
		"art/rel-out/x": "symlink leads outside",
	}
	for in, reason := range bad {
		_, err := l.Resolve(in)
		require.ErrorIs(t, err, layout.ErrPathEscapesBackup, in)
		assert.Contains(t, err.Error(), reason, in)
		var pe *layout.PathError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, in, pe.Path)
	}
	good := map[string]string{
		"art":             filepath.Join(root, "art"),
		"./art/memory":    filepath.Join(root, "art", "memory"),
		"in-link/memory":  filepath.Join(root, "in-link", "memory"),
		"not-yet/created": filepath.Join(root, "not-yet", "created"),
	}
	for in, want := range good {
		got, err := l.Resolve(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got)
	}
}

func TestResolveTempPathAcceptsLegacyAndRelative(t *testing.T) {
	root := t.TempDir()
	l := layout.New(root)
	id := "r7inp-6aaaa-aaaaa-aaabq-cai"
	want := filepath.Join(root, id+".tmp")
	for _, rec := range []string{
		id + ".tmp",
		"backups/fleet-demo-20260512-140000/" + id + ".tmp", // 0.35.1, CWD-relative
		"/somewhere/else/" + id + ".tmp",
	} {
		got, err := l.ResolveTempPath(rec)
		require.NoError(t, err, rec)
		assert.Equal(t, want, got)
	}
	for _, rec := range []string{"", "..", "x/..", "/", ".tmp", "backups/x"} {
		_, err := l.ResolveTempPath(rec)
		require.ErrorIs(t, err, layout.ErrPathEscapesBackup, rec)
	}
}

func TestPrepareAndFinalizeArtifact(t *testing.T) {
	root := t.TempDir()
	l := layout.New(root)
	id := "renrk-eyaaa-aaaaa-aaada-cai"
	require.NoError(t, os.MkdirAll(filepath.Join(l.TempPath(id), "stale"), 0o755))
	tmp, err := l.PrepareTempDir(id)
	require.NoError(t, err)
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, entries, "temp dir emptied")
	require.NoError(t, os.WriteFile(filepath.Join(tmp, "f"), []byte("x"), 0o644))
	dst, err := l.FinalizeArtifact(tmp, id)
	require.NoError(t, err)
	assert.Equal(t, l.ArtifactPath(id), dst)
	assert.FileExists(t, filepath.Join(dst, "f"))

	tmp, err = l.PrepareTempDir(id)
	require.NoError(t, err)
	_, err = l.FinalizeArtifact(tmp, id)
	require.ErrorIs(t, err, layout.ErrArtifactExists)
	assert.Contains(t, err.Error(), "artifact path already exists: "+dst)
}
