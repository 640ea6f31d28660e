package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/canic-backup/canic-backup/core/checksum"
)

// checksumResult compares canic-backup's artifact checksum with sha256sum
// over the same files (page cache warm for both).
type checksumResult struct {
	SizeMiB float64 `json:"size_mib"`
	// OursMiBps and Sha256sumMiBps are throughputs (best of three).
	OursMiBps      float64 `json:"ours_mib_per_s"`
	Sha256sumMiBps float64 `json:"sha256sum_mib_per_s"`
	// Ratio is OursMiBps / Sha256sumMiBps.
	Ratio float64 `json:"ratio"`
}

// writeArtifact writes a snapshot-shaped artifact of about size bytes
// under dir and returns its files.
func writeArtifact(dir string, size int64) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	module := min(size/8, 2<<20)
	parts := []struct {
		name string
		n    int64
	}{{"metadata.json", 512}, {"wasm_module.bin", module}, {"wasm_memory.bin", (size - module) / 2}, {"stable_memory.bin", size - module - (size-module)/2}}
	rng := rand.New(rand.NewPCG(1, 2))
	var files []string
	buf := make([]byte, 1<<20)
	for _, p := range parts {
		path := filepath.Join(dir, p.name)
		f, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		for left := p.n; left > 0; {
			n := min(left, int64(len(buf)))
			for i := 0; i < int(n); i += 8 {
				v := rng.Uint64()
				for k := 0; k < 8 && i+k < int(n); k++ {
					buf[i+k] = byte(v >> (8 * k))
				}
			}
			if _, err := f.Write(buf[:n]); err != nil {
				_ = f.Close()
				return nil, err
			}
			left -= n
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		files = append(files, path)
	}
	return files, nil
}

// bestOf runs f three times and returns the shortest duration.
func bestOf(f func() error) (time.Duration, error) {
	best := time.Duration(0)
	for range 3 {
		start := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		if d := time.Since(start); best == 0 || d < best {
			best = d
		}
	}
	return best, nil
}

// compareChecksum times checksum.FromDirectory and `sha256sum` over the
// same artifact of size bytes.
func compareChecksum(ctx context.Context, dir string, size int64) (checksumResult, error) {
	files, err := writeArtifact(dir, size)
	if err != nil {
		return checksumResult{}, err
	}
	defer os.RemoveAll(dir)
	sha := func() error {
		out, err := exec.CommandContext(ctx, "sha256sum", files...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("sha256sum: %w: %s", err, out)
		}
		return nil
	}
	if err := sha(); err != nil { // warm the page cache
		return checksumResult{}, err
	}
	ours, err := bestOf(func() error { _, err := checksum.FromDirectory(ctx, dir); return err })
	if err != nil {
		return checksumResult{}, err
	}
	theirs, err := bestOf(sha)
	if err != nil {
		return checksumResult{}, err
	}
	mib := float64(size) / (1 << 20)
	r := checksumResult{SizeMiB: mib, OursMiBps: mib / ours.Seconds(), Sha256sumMiBps: mib / theirs.Seconds()}
	r.Ratio = r.OursMiBps / r.Sha256sumMiBps
	return r, nil
}
