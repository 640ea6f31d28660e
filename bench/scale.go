package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/canic-backup/canic-backup/sim"
)

// scaleResult is one fleet size's figures for one command (backup or
// restore) in `go run ./bench --scale`.
type scaleResult struct {
	Command   string `json:"command"`
	Canisters int    `json:"canisters"`
	// WallSeconds is the command's wall time; PerCanisterMS WallSeconds
	// over Canisters.
	WallSeconds   float64 `json:"wall_seconds"`
	PerCanisterMS float64 `json:"per_canister_ms"`
	// WrittenMiB is what the process tree wrote to block devices (rusage
	// output blocks) less the artifacts' bytes: the journals and other
	// documents, rewritten as the run goes.
	WrittenMiB float64 `json:"journal_written_mib"`
	// DocumentsMiB is the size of the final documents (*.json) of the
	// backup directory.
	DocumentsMiB float64 `json:"documents_mib"`
	// Fsyncs counts fsync and fdatasync calls (strace -c; -1 without
	// strace).
	Fsyncs int `json:"fsyncs"`
	// PeakRSSMiB is the peak summed RSS of canic-backup and its plugin.
	PeakRSSMiB float64 `json:"peak_rss_mib"`
}

// parseScale reads "100,300,1000".
func parseScale(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a fleet size (e.g. 100,300,1000)", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q names no fleet size", s)
	}
	return out, nil
}

// runScale backs up and restores a flat fleet of each size (no latency,
// o.Size per canister) and measures each command.
func runScale(ctx context.Context, o options, sizes []int) ([]scaleResult, error) {
	var out []scaleResult
	for _, n := range sizes {
		rs, err := scaleOne(ctx, o, n)
		out = append(out, rs...)
		if err != nil {
			return out, fmt.Errorf("fleet of %d: %w", n, err)
		}
	}
	return out, nil
}

func scaleOne(ctx context.Context, o options, n int) ([]scaleResult, error) {
	s, err := sim.Start(ctx, sim.Options{Fleet: sim.Fleet{Name: "bench", Children: n, Depth: 1, Size: o.Size, Seed: 1}})
	if err != nil {
		return nil, fmt.Errorf("start the simulator: %w", err)
	}
	defer func() { _ = s.Close(context.WithoutCancel(ctx)) }()
	work := filepath.Join(o.Work, fmt.Sprintf("scale-%d", n))
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	cfg := filepath.Join(work, "canic.toml")
	if err := os.WriteFile(cfg, []byte(benchConfig(s.Info(), o)), 0o600); err != nil {
		return nil, err
	}
	out := filepath.Join(work, "backup")
	backup, err := measure(ctx, work, "backup", n, out, o.Bin, "backup", "create", "--config", cfg, "--env", contenderAgent,
		"--out", out, "--concurrency", strconv.Itoa(o.Concurrency))
	if err != nil {
		return nil, err
	}
	res := []scaleResult{backup}
	plan := filepath.Join(work, "restore-plan.json")
	jpath := filepath.Join(work, "restore-journal.json")
	for _, args := range [][]string{
		{"restore", "plan", "--backup-dir", out, "--out", plan},
		{"restore", "apply", "--plan", plan, "--backup-dir", out, "--dry-run", "--out", filepath.Join(work, "dry-run.json"), "--journal-out", jpath},
	} {
		if b, err := exec.CommandContext(ctx, o.Bin, args...).CombinedOutput(); err != nil {
			return res, fmt.Errorf("%s %s: %w: %s", o.Bin, strings.Join(args, " "), err, b)
		}
	}
	restore, err := measure(ctx, work, "restore", n, "", o.Bin, "restore", "run", "--journal", jpath, "--execute",
		"--config", cfg, "--env", contenderAgent)
	if err != nil {
		return res, err
	}
	return append(res, restore), nil
}

// measure runs bin args (under strace -c for its fsyncs when strace is on
// PATH) and fills a scaleResult; docsDir, when set, is the backup
// directory whose artifacts are subtracted from the bytes written and
// whose documents are measured.
func measure(ctx context.Context, work, name string, n int, docsDir, bin string, args ...string) (scaleResult, error) {
	r := scaleResult{Command: name, Canisters: n, Fsyncs: -1}
	cmd := exec.CommandContext(ctx, bin, args...)
	straceOut := filepath.Join(work, name+".strace")
	if st, err := exec.LookPath("strace"); err == nil {
		cmd = exec.CommandContext(ctx, st, append([]string{"-f", "--seccomp-bpf", "-e", "trace=fsync,fdatasync", "-c", "-o", straceOut, bin}, args...)...)
	}
	var stdout, stderr bytes.Buffer
	wall, peak, err := timedRun(ctx, cmd, &stdout, &stderr)
	if err != nil {
		return r, err
	}
	r.WallSeconds, r.PeakRSSMiB = wall, peak
	r.PerCanisterMS = wall * 1000 / float64(n)
	written := outputBytes(cmd)
	if docsDir != "" {
		art, docs := dirBytes(docsDir)
		written -= art
		r.DocumentsMiB = float64(docs) / (1 << 20)
	}
	r.WrittenMiB = float64(max(written, 0)) / (1 << 20)
	if f, err := os.Open(straceOut); err == nil {
		r.Fsyncs = straceCalls(f, "fsync", "fdatasync")
		_ = f.Close()
	}
	return r, nil
}

// dirBytes sums the artifact files and the top-level documents (*.json)
// of a backup directory.
func dirBytes(dir string) (artifacts, docs int64) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if filepath.Dir(p) == dir && strings.HasSuffix(p, ".json") {
			docs += info.Size()
		} else {
			artifacts += info.Size()
		}
		return nil
	})
	return artifacts, docs
}

// straceCalls sums the calls column of strace -c's summary for names.
func straceCalls(r io.Reader, names ...string) int {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	total := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 5 || !want[f[len(f)-1]] {
			continue
		}
		// % time, seconds, usecs/call, calls, [errors,] syscall
		if c, err := strconv.Atoi(f[3]); err == nil {
			total += c
		}
	}
	return total
}

// printScale renders the --scale figures.
func printScale(w io.Writer, rs []scaleResult, sizeMiB float64) {
	fmt.Fprintf(w, "flat fleets, %.3g MiB per canister, no latency, agent executor\n\n", sizeMiB)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMMAND\tCANISTERS\tWALL\tPER CANISTER\tJOURNAL WRITTEN\tFINAL DOCUMENTS\tFSYNCS\tPEAK RSS")
	for _, r := range rs {
		docs := "-"
		if r.DocumentsMiB > 0 {
			docs = fmt.Sprintf("%.2f MiB", r.DocumentsMiB)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2fs\t%.1f ms\t%.1f MiB\t%s\t%d\t%.0f MiB\n", r.Command, r.Canisters, r.WallSeconds,
			r.PerCanisterMS, r.WrittenMiB, docs, r.Fsyncs, r.PeakRSSMiB)
	}
	_ = tw.Flush()
}
