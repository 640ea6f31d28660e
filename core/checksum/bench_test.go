package checksum

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkFromFile measures single-file hashing throughput (compare with
// `sha256sum` on the same file).
func BenchmarkFromFile(b *testing.B) {
	p := filepath.Join(b.TempDir(), "big.bin")
	data := make([]byte, 64<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		if _, err := FromFile(context.Background(), p); err != nil {
			b.Fatal(err)
		}
	}
}
