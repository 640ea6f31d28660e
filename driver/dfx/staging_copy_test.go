package dfx

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLinkOrCopyFallsBackToAnAtomicOwnerOnlyCopy: when the hard link
// fails (here: the destination exists), the file is copied through a temp
// file renamed into place, owner-only, and no temp file is left.
func TestLinkOrCopyFallsBackToAnAtomicOwnerOnlyCopy(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.bin"), filepath.Join(dir, "stage", "wasm_memory.bin")
	require.NoError(t, os.WriteFile(src, []byte("snapshot bytes"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o700))
	require.NoError(t, os.WriteFile(dst, []byte("old"), 0o600))

	require.NoError(t, linkOrCopy(src, dst))
	b, err := os.ReadFile(dst)
	require.NoError(t, err)
	assert.Equal(t, "snapshot bytes", string(b))
	st, err := os.Stat(dst)
	require.NoError(t, err)
	if runtime.GOOS != "windows" {
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	}
	si, err := os.Stat(src)
	require.NoError(t, err)
	assert.False(t, os.SameFile(si, st), "a copy, not a link")
	ents, err := os.ReadDir(filepath.Dir(dst))
	require.NoError(t, err)
	assert.Len(t, ents, 1, "no temp file left")

	require.Error(t, linkOrCopy(filepath.Join(dir, "missing"), dst))
}
