package sealed_test

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/sealed"
)

// BenchmarkNights backs a fleet of three canisters up for NIGHTS nights
// (default 30), each changing 1% of every canister's memory in 64 KiB
// pages, and reports the sealed store's growth per night after the first
// as a share of the fleet, against a plain store (which grows by the whole
// fleet a night). MEM_MIB sets each canister's memory (default 64).
//
//	CANIC_COMPAT_DIR=... go test -run '^$' -bench Nights -benchtime 1x ./core/sealed/
func BenchmarkNights(b *testing.B) {
	nights := envInt("NIGHTS", 30)
	memMiB := envInt("MEM_MIB", 64)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		tt := b
		env := newRepo(tt)
		env.opts = sealed.Options{PackSize: 16 << 20}
		w := env.writer(tt)
		f := newFleet(tt, memMiB<<20)
		fleetSize := dirSize(tt, f.dir)
		b.StartTimer()
		start := time.Now()
		prev := dirSize(tt, env.root)
		var maxGrowth float64
		var sealedTook, resticTook time.Duration
		resticRepo := ""
		if os.Getenv("BENCH_RESTIC") != "" {
			resticRepo = b.TempDir()
			if out, err := restic(resticRepo, "init"); err != nil {
				b.Fatalf("restic init: %v: %s", err, out)
			}
		}
		for n := 0; n < nights; n++ {
			if n > 0 {
				b.StopTimer()
				f.night(tt, 0.01)
				b.StartTimer()
			}
			t0 := time.Now()
			f.backup(tt, w, fmt.Sprintf("night-%02d", n))
			sealedTook += time.Since(t0)
			if resticRepo != "" {
				t0 = time.Now()
				if out, err := restic(resticRepo, "backup", "--quiet", "--host", "bench", f.dir); err != nil {
					b.Fatalf("restic backup: %v: %s", err, out)
				}
				resticTook += time.Since(t0)
			}
			size := dirSize(tt, env.root)
			if n > 0 {
				g := float64(size-prev) / float64(fleetSize)
				maxGrowth = max(maxGrowth, g)
			}
			prev = size
		}
		took := time.Since(start)
		_ = took
		took = sealedTook
		if resticRepo != "" {
			rb := dirSize(tt, resticRepo)
			b.ReportMetric(float64(rb)/(1<<20), "restic-MiB")
			b.ReportMetric(resticTook.Seconds(), "restic-backup-s")
			b.Logf("restic %s: repository %d MiB (%d bytes), backups %s; sealed %d bytes, backups %s",
				resticVersion(), rb>>20, rb, resticTook.Round(time.Millisecond), prev, sealedTook.Round(time.Millisecond))
		}
		b.ReportMetric(float64(prev)/(1<<20), "sealed-MiB")
		b.ReportMetric(float64(fleetSize*int64(nights))/(1<<20), "plain-MiB")
		b.ReportMetric(100*maxGrowth, "max-growth-%/night")
		b.ReportMetric(took.Seconds(), "backup-s")
		b.Logf("%d nights, fleet %d MiB: sealed store %d MiB, plain %d MiB, max growth %.2f%%/night, backups %s",
			nights, fleetSize>>20, prev>>20, fleetSize*int64(nights)>>20, 100*maxGrowth, took.Round(time.Millisecond))
		r := env.reader(tt)
		rs := time.Now()
		out := b.TempDir()
		_, err := r.Restore(b.Context(), fmt.Sprintf("night-%02d", nights-1), out, sealed.RestoreOptions{All: true})
		if err != nil {
			b.Fatal(err)
		}
		for rel, want := range f.sums {
			c, err := checksum.FromPath(b.Context(), out+"/"+rel)
			if err != nil || c.Hash != want {
				b.Fatalf("restore of %s: %v %s != %s", rel, err, c.Hash, want)
			}
		}
		b.ReportMetric(time.Since(rs).Seconds(), "restore-last-s")
	}
}

// restic runs the restic binary on repo (password "bench").
func restic(repo string, args ...string) ([]byte, error) {
	cmd := exec.Command("restic", append([]string{"--repo", repo}, args...)...)
	cmd.Env = append(os.Environ(), "RESTIC_PASSWORD=bench", "RESTIC_CACHE_DIR="+repo+".cache")
	return cmd.CombinedOutput()
}

func resticVersion() string {
	out, _ := exec.Command("restic", "version").Output()
	return strings.TrimSpace(string(out))
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
