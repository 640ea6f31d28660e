package main

import (
	"context"
	"fmt"
	"math"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/sim"
)

// simCommand is `canic-backup sim`: the local IC replica simulator.
func simCommand() *cli.Command {
	return &cli.Command{
		Name:         "sim",
		Usage:        "run a local IC replica simulator",
		OnUsageError: onUsageError,
		Action:       familyAction,
		Subcommands:  []*cli.Command{simStartCommand()},
	}
}

// simStartCommand is `canic-backup sim start`.
func simStartCommand() *cli.Command {
	return &cli.Command{
		Name:  "start",
		Usage: "seed a fleet and serve it on loopback until interrupted",
		UsageText: "canic-backup sim start [--fleet NAME] [--children N] [--depth D] [--size 64MiB] [--port P]\n" +
			"   [--state-dir DIR] [--info-out FILE] [--latency 100ms] [--query-latency D]\n" +
			"   [--transient-reject-rate F] [--lost-response-rate F] [--max-in-flight N] [--fault-seed N]\n" +
			"   [--autosave 1s] [--sync-save] [--subnets 3] [--rate-limit R] [--cycles AMOUNT]\n" +
			"   [--stop-delay D] [--stop-timeout D]",
		OnUsageError: onUsageError,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "fleet", Value: "demo", Usage: "fleet name"},
			&cli.IntFlag{Name: "children", Value: 2, Usage: "children per canister below the root"},
			&cli.IntFlag{Name: "depth", Value: 1, Usage: "levels below the root"},
			&cli.StringFlag{Name: "size", Value: "64MiB", Usage: "memory per canister (e.g. 4MiB, 1GiB, 1000000)"},
			&cli.IntFlag{Name: "port", Value: 0, Usage: "loopback port (0 picks a free one)"},
			&cli.StringFlag{Name: "state-dir", Usage: "directory whose state survives a restart"},
			&cli.StringFlag{Name: "info-out", Usage: "where to write the info JSON (default sim.json in the state dir, else ./sim.json)"},
			&cli.DurationFlag{Name: "latency", Usage: "latency added to every update call"},
			&cli.DurationFlag{Name: "query-latency", Usage: "latency added to every query"},
			&cli.Float64Flag{Name: "transient-reject-rate", Usage: "fraction of update calls rejected with SYS_TRANSIENT"},
			&cli.Float64Flag{Name: "lost-response-rate", Usage: "fraction of update calls executed whose response is dropped"},
			&cli.IntFlag{Name: "max-in-flight", Usage: "cap on concurrently executing calls (0 = none)"},
			&cli.Uint64Flag{Name: "fault-seed", Usage: "seed of the fault dice"},
			&cli.DurationFlag{Name: "autosave", Value: time.Second,
				Usage: "with --state-dir, save the state at most this often after calls that change it, so a killed simulator keeps its changes (0 = only on exit)"},
			&cli.IntFlag{Name: "subnets", Value: sim.DefaultSubnets,
				Usage: "subnets: the NNS subnet plus N-1 application subnets holding the fleet, with delegated certificates as on mainnet (1 = a single root subnet)"},
			&cli.BoolFlag{Name: "sync-save", Usage: "with --state-dir, save the state before replying to every call that changes it (slow; for crash tests)"},
			&cli.Float64Flag{Name: "rate-limit", Usage: "requests per second the simulated boundary node accepts; beyond it 429 with Retry-After (0 = unlimited)"},
			&cli.Uint64Flag{Name: "cycles", Usage: "each canister's starting cycles balance (0 = 100T)"},
			&cli.DurationFlag{Name: "stop-delay", Usage: "how long a stop takes (the canister is stopping meanwhile)"},
			&cli.DurationFlag{Name: "stop-timeout", Usage: "how long stop_canister waits before IC0206 (0 = the IC's 5m)"},
		},
		Action: simStart,
	}
}

func simStart(c *cli.Context) error {
	if err := leafArgs(c); err != nil {
		return err
	}
	opts, infoPath, err := simOptions(c)
	if err != nil {
		return err
	}
	ctx := c.Context
	s, err := sim.Start(ctx, opts)
	if err != nil {
		return err
	}
	info := s.Info()
	// The config first: once sim.json exists, everything is ready.
	cfgPath := filepath.Join(filepath.Dir(infoPath), config.FileName)
	werr := layout.WriteFileAtomic(cfgPath, []byte(simConfigTOML(info, c.String("fleet"))), 0o644)
	if werr == nil {
		werr = sim.WriteInfo(infoPath, info)
	}
	if werr == nil {
		fmt.Fprintf(c.App.Writer, "simulator listening on %s (root canister %s, %d canisters, %d subnets)\ninfo written to %s\nconfig written to %s (environments sim, sim-icp)\n",
			info.URL, info.RootCanisterID, len(info.CanisterIDs), len(info.Subnets), infoPath, cfgPath)
		<-ctx.Done()
	}
	closeCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Close(closeCtx); err != nil {
		return err
	}
	return werr
}

func simOptions(c *cli.Context) (sim.Options, string, error) {
	name := commandName(c)
	size, err := parseSize(c.String("size"))
	if err != nil {
		return sim.Options{}, "", usagef("%s: --size %q: %v", name, c.String("size"), err)
	}
	for _, f := range []string{"children", "depth", "port", "max-in-flight"} {
		if c.Int(f) < 0 {
			return sim.Options{}, "", usagef("%s: --%s %d must not be negative", name, f, c.Int(f))
		}
	}
	for _, f := range []string{"autosave", "stop-delay", "stop-timeout"} {
		if c.Duration(f) < 0 {
			return sim.Options{}, "", usagef("%s: --%s %s must not be negative", name, f, c.Duration(f))
		}
	}
	if r := c.Float64("rate-limit"); r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
		return sim.Options{}, "", usagef("%s: --rate-limit %v must be a non-negative number of requests per second", name, r)
	}
	if n := c.Int("subnets"); n < 1 || n > sim.MaxSubnets {
		return sim.Options{}, "", usagef("%s: --subnets %d must be between 1 and %d", name, n, sim.MaxSubnets)
	}
	if c.Int("port") > 65535 {
		return sim.Options{}, "", usagef("%s: --port %d is not a TCP port", name, c.Int("port"))
	}
	for _, f := range []string{"transient-reject-rate", "lost-response-rate"} {
		if v := c.Float64(f); v < 0 || v > 1 {
			return sim.Options{}, "", usagef("%s: --%s %v must be between 0 and 1", name, f, v)
		}
	}
	stateDir := c.String("state-dir")
	if stateDir != "" {
		// The written canic.toml names the controller PEM inside the state
		// dir, and config paths resolve against the config's own folder: an
		// absolute state dir keeps that path right wherever it is read from.
		abs, err := filepath.Abs(stateDir)
		if err != nil {
			return sim.Options{}, "", fmt.Errorf("%s: --state-dir %q: %w", name, stateDir, err)
		}
		stateDir = abs
	}
	info := c.String("info-out")
	if info == "" {
		info = filepath.Join(stateDir, sim.InfoFileName)
	}
	return sim.Options{
		Addr:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Int("port"))),
		StateDir: stateDir,
		Fleet: sim.Fleet{Name: c.String("fleet"), Children: c.Int("children"), Depth: c.Int("depth"),
			Size: size, Seed: 1},
		Faults: sim.Faults{
			UpdateLatency: c.Duration("latency"), QueryLatency: c.Duration("query-latency"),
			TransientRejectRate: c.Float64("transient-reject-rate"), LostResponseRate: c.Float64("lost-response-rate"),
			MaxInFlight: c.Int("max-in-flight"), Seed: c.Uint64("fault-seed"),
		},
		AutosaveInterval: c.Duration("autosave"),
		SyncSave:         c.Bool("sync-save"),
		Subnets:          c.Int("subnets"),
		RateLimit:        c.Float64("rate-limit"),
		Cycles:           c.Uint64("cycles"),
		StopDelay:        c.Duration("stop-delay"),
		StopTimeout:      c.Duration("stop-timeout"),
	}, info, nil
}

// parseSize reads a byte count with an optional unit: B, KB, MB, GB
// (powers of 1000) or KiB, MiB, GiB (powers of 1024).
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want a non-negative byte count such as 64MiB")
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("too large")
	}
	return n * mult, nil
}
