package main

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/seaweed"
	"github.com/canic-backup/canic-backup/sim"
)

//go:embed icp-loop.sh
var icpLoopScript []byte

// Contender names.
const (
	contenderICPLoop = "icp-loop"
	contenderDFX     = "dfx"
	contenderAgent   = "agent"
)

// options configure one benchmark run.
type options struct {
	Children, Depth int
	// Size is the memory bytes per canister.
	Size         int64
	Latency      time.Duration
	QueryLatency time.Duration
	// Concurrency is canic-backup's --concurrency (and the dfx executor's
	// subprocess cap).
	Concurrency int
	// ICP is the icp binary; Bin the canic-backup binary ("" builds it).
	ICP, Bin string
	// Contenders run in this order.
	Contenders []string
	// ChecksumSize is the artifact size of the checksum comparison (0
	// skips it).
	ChecksumSize int64
	// Work is the scratch directory.
	Work string
	// AgentMaxInFlight, when positive, sets the agent executor's
	// max_in_flight (chunk calls in flight across its transfers).
	AgentMaxInFlight int
	// PartSizeMiB is the S3 store's multipart part size (store-s3).
	PartSizeMiB int
}

// result is one contender's measurements.
type result struct {
	Name string `json:"name"`
	// WallSeconds is the end-to-end time of the command.
	WallSeconds float64 `json:"wall_seconds"`
	// DowntimeSeconds is the fleet's downtime window.
	DowntimeSeconds float64 `json:"downtime_seconds"`
	// PeakRSSMiB is the peak summed RSS of the process tree.
	PeakRSSMiB float64 `json:"peak_rss_mib"`
	// Verified is true when `canic-backup backup verify` accepted the
	// backup (canic-backup contenders only).
	Verified bool `json:"verified"`
	// DataMiB is the backup's size in its store and MiBps DataMiB over
	// WallSeconds (store contenders); PublishMiBps is the upload rate the
	// S3 contender's published line reports.
	DataMiB      float64 `json:"data_mib,omitempty"`
	MiBps        float64 `json:"mib_per_s,omitempty"`
	PublishMiBps float64 `json:"publish_mib_per_s,omitempty"`
}

// ratio compares contender (a) with another.
type ratio struct {
	Against  string  `json:"against"`
	Wall     float64 `json:"wall"`
	Downtime float64 `json:"downtime"`
}

// report is the benchmark's output.
type report struct {
	Canisters       int               `json:"canisters"`
	SizeMiB         float64           `json:"size_mib_per_canister"`
	UpdateLatencyMS int64             `json:"update_latency_ms"`
	QueryLatencyMS  int64             `json:"query_latency_ms"`
	Concurrency     int               `json:"concurrency"`
	Results         []result          `json:"results"`
	Ratios          []ratio           `json:"ratios"`
	Checksum        *checksumResult   `json:"checksum,omitempty"`
	Store           *storeRatio       `json:"store,omitempty"`
	LowerBound      *lowerBound       `json:"lower_bound,omitempty"`
	Command         string            `json:"command"`
	Env             map[string]string `json:"env,omitempty"`
}

// run executes the benchmark.
func run(ctx context.Context, o options) (*report, error) {
	if err := os.MkdirAll(o.Work, 0o755); err != nil {
		return nil, err
	}
	rep := &report{SizeMiB: float64(o.Size) / (1 << 20), UpdateLatencyMS: o.Latency.Milliseconds(),
		QueryLatencyMS: o.QueryLatency.Milliseconds(), Concurrency: o.Concurrency}
	needBin := false
	for _, c := range o.Contenders {
		needBin = needBin || c != contenderICPLoop
	}
	if needBin && o.Bin == "" {
		o.Bin = filepath.Join(o.Work, "canic-backup")
		build := exec.CommandContext(ctx, "go", "build", "-o", o.Bin, "github.com/canic-backup/canic-backup/cmd/canic-backup")
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build canic-backup: %w: %s", err, out)
		}
	}
	var weed *seaweed.Server
	for _, name := range o.Contenders {
		if name == contenderStoreS3 && weed == nil {
			srv, err := startWeed(ctx, func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) })
			if err != nil {
				return rep, fmt.Errorf("contender %s: %w", name, err)
			}
			defer srv.Stop()
			weed = srv
		}
		var res result
		var err error
		if isStoreContender(name) {
			res, err = runStoreContender(ctx, o, name, weed)
		} else {
			res, err = runContender(ctx, o, name)
		}
		if err != nil {
			return rep, fmt.Errorf("contender %s: %w", name, err)
		}
		rep.Results = append(rep.Results, res)
	}
	for _, base := range rep.Results {
		if base.Name != contenderICPLoop {
			continue
		}
		for _, r := range rep.Results {
			if r.Name != contenderICPLoop {
				rep.Ratios = append(rep.Ratios, ratio{Against: r.Name, Wall: div(base.WallSeconds, r.WallSeconds),
					Downtime: div(base.DowntimeSeconds, r.DowntimeSeconds)})
			}
		}
	}
	rep.Store = storeComparison(rep.Results)
	bound := networkBound(o)
	rep.LowerBound = &bound
	rep.Canisters = o.targets()
	if o.ChecksumSize > 0 {
		c, err := compareChecksum(ctx, filepath.Join(o.Work, "checksum"), o.ChecksumSize)
		if err != nil {
			return rep, err
		}
		rep.Checksum = &c
	}
	return rep, nil
}

func div(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// targets is the number of canisters backed up (every one but the root).
func (o options) targets() int {
	n, level := 0, 1
	for range o.Depth {
		level *= o.Children
		n += level
	}
	return n
}

// runContender starts a fresh simulator and times one contender against it.
func runContender(ctx context.Context, o options, name string) (result, error) {
	res := result{Name: name}
	s, err := sim.Start(ctx, sim.Options{
		Fleet:  sim.Fleet{Name: "bench", Children: o.Children, Depth: o.Depth, Size: o.Size, Seed: 1},
		Faults: sim.Faults{UpdateLatency: o.Latency, QueryLatency: o.QueryLatency},
	})
	if err != nil {
		return res, fmt.Errorf("start the simulator: %w", err)
	}
	defer func() { _ = s.Close(context.WithoutCancel(ctx)) }()
	info := s.Info()
	work := filepath.Join(o.Work, name)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return res, err
	}
	out := filepath.Join(work, "backup")
	var cmd *exec.Cmd
	switch name {
	case contenderICPLoop:
		script := filepath.Join(work, "icp-loop.sh")
		if err := os.WriteFile(script, icpLoopScript, 0o755); err != nil {
			return res, err
		}
		cmd = exec.CommandContext(ctx, "bash", append([]string{script, out}, info.CanisterIDs[1:]...)...)
		cmd.Env = append(os.Environ(), "ICP_BIN="+o.ICP, "ICP_NETWORK="+info.URL, "ICP_ROOT_KEY="+info.RootKeyHex, "ICP_PEM="+info.ControllerPEM)
	case contenderDFX, contenderAgent:
		cfg := filepath.Join(work, "canic.toml")
		if err := os.WriteFile(cfg, []byte(benchConfig(info, o)), 0o600); err != nil {
			return res, err
		}
		cmd = exec.CommandContext(ctx, o.Bin, "backup", "create", "--config", cfg, "--env", name, "--out", out,
			"--concurrency", strconv.Itoa(o.Concurrency))
	default:
		return res, fmt.Errorf("unknown contender %q (want %s, %s, %s, %s, %s or %s)", name, contenderICPLoop, contenderDFX, contenderAgent,
			contenderStore, contenderStoreDir, contenderStoreS3)
	}
	var stdout, stderr bytes.Buffer
	if res.WallSeconds, res.PeakRSSMiB, err = timedRun(ctx, cmd, &stdout, &stderr); err != nil {
		return res, err
	}
	switch name {
	case contenderICPLoop:
		res.DowntimeSeconds, err = scriptDowntime(stdout.Bytes())
	default:
		res.DowntimeSeconds, err = backupDowntime(out)
		if err == nil {
			v := exec.CommandContext(ctx, o.Bin, "backup", "verify", "--dir", out)
			vout, verr := v.CombinedOutput()
			if verr != nil {
				return res, fmt.Errorf("backup verify --dir %s: %w: %s", out, verr, vout)
			}
			res.Verified = true
		}
	}
	return res, err
}

// benchConfig is the canic.toml of the canic-backup contenders: the
// environment "agent" uses the agent executor, "dfx" the dfx executor
// (icp flavor, o.ICP).
func benchConfig(info sim.Info, o options) string {
	q := strconv.Quote
	var b strings.Builder
	b.WriteString("version = 1\ndefault_environment = \"agent\"\n")
	for _, env := range []string{contenderAgent, contenderDFX} {
		fmt.Fprintf(&b, "\n[environments.%s]\nnetwork = \"local\"\nroot = %s\nexecutor = %s\nfleet = \"bench\"\n",
			env, q(info.RootCanisterID), q(env))
	}
	fmt.Fprintf(&b, "\n[executors.agent]\ndriver = \"agent\"\nurl = %s\nroot_key = %s\nidentity_pem = %s\n",
		q(info.URL), q(info.RootKeyHex), q(info.ControllerPEM))
	if o.AgentMaxInFlight > 0 {
		fmt.Fprintf(&b, "max_in_flight = %d\n", o.AgentMaxInFlight)
	}
	fmt.Fprintf(&b, "\n[executors.dfx]\ndriver = \"dfx\"\nflavor = \"icp\"\nbinary = %s\nnetwork = %s\nroot_key = %s\nidentity_pem = %s\nconcurrency = %d\n",
		q(o.ICP), q(info.URL), q(info.RootKeyHex), q(info.ControllerPEM), o.Concurrency)
	return b.String()
}

// scriptDowntime reads first_stop_at= and last_start_at= from the
// script's output.
func scriptDowntime(out []byte) (float64, error) {
	vals := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, fmt.Errorf("icp-loop.sh printed %s=%q: %w", k, v, err)
		}
		vals[k] = f
	}
	first, ok1 := vals["first_stop_at"]
	last, ok2 := vals["last_start_at"]
	if !ok1 || !ok2 {
		return 0, errors.New("icp-loop.sh did not print first_stop_at and last_start_at")
	}
	return last - first, nil
}

// backupDowntime reads the fleet window from the backup's downtime record.
func backupDowntime(dir string) (float64, error) {
	path := filepath.Join(dir, runner.DowntimeFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var d runner.Downtime
	if err := wire.Unmarshal(b, &d); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	if d.Fleet == nil {
		return 0, fmt.Errorf("%s: no fleet window (a canister was not started again?)", path)
	}
	return d.Duration().Seconds(), nil
}
