package atomicfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPublishNeverReplaces: a staged file or directory is published under
// its final name, and an existing final name is never replaced (ErrExists,
// both left as they were) — with renameat2 and with the fallback.
func TestPublishNeverReplaces(t *testing.T) {
	for name, publish := range map[string]func(string, string) error{"Publish": Publish, "fallback": publishFallback} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			stagedFile := filepath.Join(dir, ".f.tmp")
			require.NoError(t, os.WriteFile(stagedFile, []byte("new"), 0o644))
			require.NoError(t, publish(stagedFile, filepath.Join(dir, "f")))
			b, err := os.ReadFile(filepath.Join(dir, "f"))
			require.NoError(t, err)
			assert.Equal(t, "new", string(b))
			assert.NoFileExists(t, stagedFile)

			stagedDir := filepath.Join(dir, "d.tmp")
			require.NoError(t, os.MkdirAll(filepath.Join(stagedDir, "m"), 0o755))
			require.NoError(t, publish(stagedDir, filepath.Join(dir, "d")))
			assert.DirExists(t, filepath.Join(dir, "d", "m"))

			// Existing final names are refused, for a file and a directory.
			require.NoError(t, os.WriteFile(stagedFile, []byte("other"), 0o644))
			err = publish(stagedFile, filepath.Join(dir, "f"))
			require.Error(t, err)
			if name == "Publish" {
				assert.ErrorIs(t, err, ErrExists)
			}
			b, _ = os.ReadFile(filepath.Join(dir, "f"))
			assert.Equal(t, "new", string(b), "the published file is untouched")
			assert.FileExists(t, stagedFile, "the staged file is kept")

			require.NoError(t, os.MkdirAll(stagedDir, 0o755))
			require.Error(t, publish(stagedDir, filepath.Join(dir, "d")))
			assert.DirExists(t, filepath.Join(dir, "d", "m"), "the published directory is untouched")
			assert.DirExists(t, stagedDir)

			// Even an empty directory under the final name (which rename(2)
			// would silently replace) is kept.
			require.NoError(t, os.Mkdir(filepath.Join(dir, "empty"), 0o755))
			require.Error(t, publish(stagedDir, filepath.Join(dir, "empty")))
			assert.DirExists(t, stagedDir)
		})
	}
}
