package storetest

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/canic-backup/canic-backup/core/store"
)

// BenchPutGet streams size bytes into s and back out b.N times, reporting
// put-MB/s and get-MB/s (MB = 10^6 bytes) as metrics. The source is a
// repeating buffer, so generating it costs nothing.
func BenchPutGet(b *testing.B, s store.Store, size int64) {
	ctx := context.Background()
	block := randomBytes(1<<20, 42)
	var putDur, getDur time.Duration
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src := io.LimitReader(&repeatReader{block: block}, size)
		t0 := time.Now()
		if _, err := s.Put(ctx, "bench/stream.bin", src, store.PutOptions{}); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := store.Verify(ctx, s, "bench/stream.bin"); err != nil {
			b.Fatal(err)
		}
		putDur += t1.Sub(t0)
		getDur += time.Since(t1)
		b.StopTimer()
		if err := s.Delete(ctx, "bench/stream.bin"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	mb := float64(size) * float64(b.N) / 1e6
	b.ReportMetric(mb/putDur.Seconds(), "put-MB/s")
	b.ReportMetric(mb/getDur.Seconds(), "get-MB/s")
}

type repeatReader struct {
	block []byte
	off   int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.block[r.off:])
		n += c
		r.off = (r.off + c) % len(r.block)
	}
	return n, nil
}
