package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/canic-backup/canic-backup/core/checksum"
)

// BenchmarkChecksumVsSha256sum checksums a 64 MiB snapshot-shaped artifact
// with core/checksum and reports, beside its own throughput, the ratio to
// `sha256sum` over the same files (page cache warm):
//
//	go test -run '^$' -bench ChecksumVsSha256sum ./bench
//
// ratio_vs_sha256sum >= 1 means canic-backup checksums at least as fast.
func BenchmarkChecksumVsSha256sum(b *testing.B) {
	const size = 64 << 20
	dir := filepath.Join(b.TempDir(), "artifact")
	files, err := writeArtifact(dir, size)
	if err != nil {
		b.Fatal(err)
	}
	sha := func() time.Duration {
		start := time.Now()
		if out, err := exec.Command("sha256sum", files...).CombinedOutput(); err != nil {
			b.Fatalf("sha256sum: %v: %s", err, out)
		}
		return time.Since(start)
	}
	sha() // warm the page cache
	b.SetBytes(size)
	b.ResetTimer()
	var ours time.Duration
	for range b.N {
		start := time.Now()
		if _, err := checksum.FromDirectory(context.Background(), dir); err != nil {
			b.Fatal(err)
		}
		ours += time.Since(start)
	}
	b.StopTimer()
	var theirs time.Duration
	for range b.N {
		theirs += sha()
	}
	b.ReportMetric(theirs.Seconds()/ours.Seconds(), "ratio_vs_sha256sum")
}
