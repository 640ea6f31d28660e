package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	if err := mainErr(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func mainErr(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	o := options{}
	var size, checksumSize, contenders, work string
	var asJSON, keep bool
	var scale string
	fs.IntVar(&o.Children, "children", 7, "children per canister below the root")
	fs.IntVar(&o.Depth, "depth", 1, "levels below the root")
	fs.StringVar(&size, "size", "32MiB", "memory per canister (e.g. 1MiB, 256MiB)")
	fs.DurationVar(&o.Latency, "latency", 500*time.Millisecond, "latency of every update call")
	fs.DurationVar(&o.QueryLatency, "query-latency", 50*time.Millisecond, "latency of every query")
	fs.IntVar(&o.Concurrency, "concurrency", 8, "canic-backup --concurrency (and the dfx executor's subprocess cap)")
	fs.StringVar(&o.ICP, "icp", "", "icp binary (default $CANIC_ICP_BIN, else icp on PATH)")
	fs.IntVar(&o.AgentMaxInFlight, "agent-max-in-flight", 0, "agent executor max_in_flight (0: the executor's default)")
	fs.StringVar(&o.Bin, "bin", "", "canic-backup binary (default: go build it)")
	fs.StringVar(&contenders, "contenders", "icp-loop,dfx,agent", "contenders to run, comma-separated; \"store\" (= store-dir,store-s3) backs up through the agent into a dir store and a SeaweedFS bucket")
	fs.IntVar(&o.PartSizeMiB, "part-size-mib", 16, "multipart part size of the S3 store (store-s3)")
	fs.StringVar(&checksumSize, "checksum-size", "256MiB", "artifact size of the checksum comparison with sha256sum (0 skips it)")
	fs.StringVar(&work, "work", "", "scratch directory (default: a temporary one, removed)")
	fs.BoolVar(&keep, "keep", false, "keep the scratch directory")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	fs.StringVar(&scale, "scale", "", "fleet sizes, e.g. 100,300,1000: back up and restore a flat fleet of each size (no latency, --size per canister, default 64KiB) and print time, journal bytes written, fsyncs, peak RSS and time per canister")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if scale != "" && !flagSet(fs, "size") {
		size = "64KiB"
	}
	if o.Size, err = parseSize(size); err != nil {
		return fmt.Errorf("--size: %w", err)
	}
	if o.ChecksumSize, err = parseSize(checksumSize); err != nil {
		return fmt.Errorf("--checksum-size: %w", err)
	}
	if o.ICP == "" {
		o.ICP = os.Getenv("CANIC_ICP_BIN")
	}
	if o.ICP == "" {
		o.ICP = "icp"
	}
	for _, c := range strings.Split(contenders, ",") {
		if c = strings.TrimSpace(c); c != "" {
			o.Contenders = append(o.Contenders, c)
		}
	}
	o.Contenders = expandContenders(o.Contenders)
	if work == "" {
		if work, err = os.MkdirTemp("", "canic-bench-*"); err != nil {
			return err
		}
	}
	if !keep {
		defer os.RemoveAll(work)
	}
	o.Work = work
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if scale != "" {
		return mainScale(ctx, o, scale, asJSON, stdout)
	}
	rep, err := run(ctx, o)
	if rep != nil {
		rep.Command = "go run ./bench " + strings.Join(args, " ")
		if asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if jerr := enc.Encode(rep); jerr != nil {
				return jerr
			}
		} else {
			printTable(stdout, rep)
		}
	}
	return err
}

// flagSet reports whether the command line set flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// mainScale is `bench --scale`.
func mainScale(ctx context.Context, o options, scale string, asJSON bool, stdout io.Writer) error {
	sizes, err := parseScale(scale)
	if err != nil {
		return fmt.Errorf("--scale: %w", err)
	}
	if o.Bin == "" {
		o.Bin = filepath.Join(o.Work, "canic-backup")
		build := exec.CommandContext(ctx, "go", "build", "-o", o.Bin, "github.com/canic-backup/canic-backup/cmd/canic-backup")
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("build canic-backup: %w: %s", err, out)
		}
	}
	rs, err := runScale(ctx, o, sizes)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(rs); jerr != nil {
			return jerr
		}
	} else {
		printScale(stdout, rs, float64(o.Size)/(1<<20))
	}
	return err
}

// printTable renders the report for humans.
func printTable(w io.Writer, r *report) {
	fmt.Fprintf(w, "fleet: %d canisters of %.0f MiB (plus the root), update latency %dms, query latency %dms, concurrency %d\n\n",
		r.Canisters, r.SizeMiB, r.UpdateLatencyMS, r.QueryLatencyMS, r.Concurrency)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	b := r.LowerBound
	if b == nil {
		b = &lowerBound{}
	}
	fmt.Fprintln(tw, "CONTENDER\tWALL\t(BOUND, RATIO)\tFLEET DOWNTIME\t(BOUND, RATIO)\tPEAK RSS\tVERIFIED")
	for _, res := range r.Results {
		verified := "-"
		if res.Verified {
			verified = "yes"
		}
		fmt.Fprintf(tw, "%s\t%.2fs\t(%.2fs, %.2fx)\t%.2fs\t(%.2fs, %.2fx)\t%.0f MiB\t%s\n", res.Name,
			res.WallSeconds, b.WallSeconds, div(res.WallSeconds, b.WallSeconds),
			res.DowntimeSeconds, b.DowntimeSeconds, div(res.DowntimeSeconds, b.DowntimeSeconds), res.PeakRSSMiB, verified)
	}
	_ = tw.Flush()
	if r.LowerBound != nil {
		fmt.Fprintf(w, "lower bound: downtime = update latency x (stop levels + 1 + start levels); wall = downtime + ceil(%d read chunks / %d in flight) x latency + hashing at %.0f MiB/s\n",
			b.Chunks, b.InFlight, b.HashMiBps)
	}
	for _, res := range r.Results {
		if isStoreContender(res.Name) {
			fmt.Fprintf(w, "%s: %.0f MiB in %.2fs, %.1f MiB/s", res.Name, res.DataMiB, res.WallSeconds, res.MiBps)
			if res.PublishMiBps > 0 {
				fmt.Fprintf(w, " (upload alone %.1f MiB/s)", res.PublishMiBps)
			}
			fmt.Fprintln(w)
		}
	}
	if q := r.Store; q != nil {
		fmt.Fprintf(w, "s3 store / dir store: wall %.2fx, throughput %.2fx\n", q.Wall, q.Throughput)
	}
	for _, q := range r.Ratios {
		fmt.Fprintf(w, "icp-loop / %s: wall %.1fx, fleet downtime %.1fx\n", q.Against, q.Wall, q.Downtime)
	}
	if c := r.Checksum; c != nil {
		fmt.Fprintf(w, "checksum of a %.0f MiB artifact: %.0f MiB/s, sha256sum %.0f MiB/s (ratio %.2f)\n",
			c.SizeMiB, c.OursMiBps, c.Sha256sumMiBps, c.Ratio)
	}
}

// parseSize reads "32MiB", "1GiB", "512KiB" or a byte count.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = rest, u.m
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size (e.g. 32MiB)", s)
	}
	return n * mult, nil
}
