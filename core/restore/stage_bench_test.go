package restore

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkStageArtifact measures the private copy and hash every upload
// now costs: a 64 MiB memory file plus a small module, as in a snapshot.
func BenchmarkStageArtifact(b *testing.B) {
	src := filepath.Join(b.TempDir(), "artifact")
	require.NoError(b, os.MkdirAll(src, 0o700))
	mem := make([]byte, 64<<20)
	_, _ = rand.Read(mem)
	require.NoError(b, os.WriteFile(filepath.Join(src, "wasm_memory.bin"), mem, 0o600))
	require.NoError(b, os.WriteFile(filepath.Join(src, "wasm_module.bin"), mem[:1<<20], 0o600))
	journal := filepath.Join(b.TempDir(), "journal.json")
	b.SetBytes(int64(len(mem) + 1<<20))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := StageArtifact(context.Background(), journal, src)
		require.NoError(b, err)
		require.NoError(b, s.Remove())
	}
}
