package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/verify"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/driver/dfx"
	"github.com/canic-backup/canic-backup/internal/platform"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/replica"
)

// The demo's executors: the built-in agent driver, or the dfx driver in
// its icp flavor driving the real icp CLI.
const (
	demoExecutorAgent = "agent"
	demoExecutorDFX   = "dfx"
)

// demoICPInstall says how to get the icp CLI the dfx executor drives.
const demoICPInstall = "install icp 1.5.0 with `npm i -g @icp-sdk/icp-cli-linux-x64@1.5.0`, or run `make icp` in a clone " +
	"and set CANIC_ICP_BIN=$PWD/" + demoMakeICP + "; or leave out --executor dfx to use the built-in agent driver"

// demoMakeICP is where `make icp` installs the icp CLI (relative to the
// repository root).
const demoMakeICP = ".cache/npm/node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp"

// errDemoDigest is matched when a canister's state digest is not what the
// demo expects (unchanged by the mutation, or not restored).
var errDemoDigest = errors.New("state digest mismatch")

// demoCommand is `canic-backup demo`: a whole backup and restore of a
// simulated fleet, start to finish, with nothing to set up.
func demoCommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "back up a simulated fleet, change it, restore it and show that every canister is back",
		UsageText: "canic-backup demo [--executor agent|dfx] [--dir DIR] [--keep=false] [--size 4MiB] [--children N] [--json]\n\n" +
			"Starts the simulator in-process on a free loopback port (a root and N children), writes a canic.toml\n" +
			"for it, runs `backup create` through the executor plugin, `backup verify`, changes every canister's\n" +
			"memory, then `restore plan`, `restore apply` and `restore run --execute`, and compares every\n" +
			"canister's state digest with the one taken at backup time. The same code paths as the commands run.\n\n" +
			"Everything is written under DIR (default: a new temporary directory), which is kept so that you can\n" +
			"look at the backup and the journals; --keep=false removes it after a successful run.\n\n" +
			"--executor dfx drives the icp CLI ($CANIC_ICP_BIN, else icp on PATH) instead of the built-in agent.\n\n" +
			"Examples:\n   canic-backup demo\n   canic-backup demo --executor dfx --json",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "executor", Value: demoExecutorAgent, Usage: "`DRIVER` to back up and restore with: agent or dfx (the icp CLI)"},
			&cli.StringFlag{Name: "dir", Usage: "write everything under `DIR` (must not exist or be empty; default: a new temporary directory)"},
			&cli.BoolFlag{Name: "keep", Value: true, Usage: "keep the directory afterwards (--keep=false removes it after a successful run)"},
			&cli.StringFlag{Name: "size", Value: "4MiB", Usage: "memory per canister"},
			&cli.IntFlag{Name: "children", Value: 3, Usage: "children of the root canister (1 to 20)"},
			jsonFlag(),
		},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return demoAction(c, e) },
	}
}

// demoOptions are the demo's parsed flags.
type demoOptions struct {
	executor string
	icp      string // the icp binary (dfx executor only)
	dir      string
	ownDir   bool // dir was created by the demo as a temporary directory
	keep     bool
	json     bool
	size     int64
	children int
}

func demoFlags(c *cli.Context, e env) (demoOptions, error) {
	name := commandName(c)
	o := demoOptions{executor: c.String("executor"), dir: c.String("dir"), keep: c.Bool("keep"), json: c.Bool("json"),
		children: c.Int("children")}
	if err := leafArgs(c); err != nil {
		return o, err
	}
	switch o.executor {
	case demoExecutorAgent, demoExecutorDFX:
	default:
		return o, usagef("%s: --executor %q: want agent or dfx", name, o.executor)
	}
	size, err := parseSize(c.String("size"))
	if err != nil {
		return o, usagef("%s: --size %q: %v", name, c.String("size"), err)
	}
	if size < 1<<10 || size > 1<<30 {
		return o, usagef("%s: --size %q: want between 1KiB and 1GiB", name, c.String("size"))
	}
	o.size = size
	if o.children < 1 || o.children > 20 {
		return o, usagef("%s: --children %d: want 1 to 20", name, o.children)
	}
	if o.executor == demoExecutorDFX {
		if o.icp, err = demoFindICP(e); err != nil {
			return o, err
		}
	}
	return o, nil
}

// demoFindICP finds the icp CLI: $CANIC_ICP_BIN, icp on PATH, or the copy
// `make icp` installs under the working directory.
func demoFindICP(e env) (string, error) {
	if p := e.getenv("CANIC_ICP_BIN"); p != "" {
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			return "", fmt.Errorf("demo --executor dfx: $CANIC_ICP_BIN=%q is not a file; %s", p, demoICPInstall)
		}
		return filepath.Abs(p)
	}
	for _, dir := range filepath.SplitList(e.getenv("PATH")) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, "icp"+platform.ExeSuffix)
		if st, err := os.Stat(p); err == nil && platform.Executable(st) {
			return filepath.Abs(p)
		}
	}
	if st, err := os.Stat(demoMakeICP); err == nil && !st.IsDir() {
		return filepath.Abs(demoMakeICP)
	}
	return "", fmt.Errorf("demo --executor dfx: the icp CLI is not on PATH and $CANIC_ICP_BIN is not set; %s", demoICPInstall)
}

// demoReport is what the demo found; --json prints it.
type demoReport struct {
	// OK is true when the backup verified and every canister was restored.
	OK bool `json:"ok"`
	// Executor is the driver used: agent or dfx.
	Executor string `json:"executor"`
	// BackupVerified is true when `backup verify` passed.
	BackupVerified bool `json:"backup_verified"`
	// AllRestored is true when every canister's digest equals its
	// backup-time digest after the restore.
	AllRestored bool `json:"all_restored"`
	// Error is the failure, when OK is false.
	Error *string `json:"error"`
	// Steps lists the steps run, with timings.
	Steps []demoStep `json:"steps"`
	// Canisters lists every backed-up canister's digests.
	Canisters []demoCanister `json:"canisters"`
	// Paths says where the files are.
	Paths demoPaths `json:"paths"`
	// Kept is true when the directory was kept.
	Kept bool `json:"kept"`
	// TotalMillis is the whole demo's wall time.
	TotalMillis int64 `json:"total_ms"`
}

// demoStep is one numbered step.
type demoStep struct {
	Name   string `json:"name"`
	Millis int64  `json:"ms"`
	Detail string `json:"detail"`
}

// demoCanister is one canister's state digests (hex sha256 of its wasm and
// stable memory) at backup time, after the demo changed it, and restored.
type demoCanister struct {
	CanisterID     string `json:"canister_id"`
	Role           string `json:"role"`
	BackupDigest   string `json:"backup_digest"`
	MutatedDigest  string `json:"mutated_digest"`
	RestoredDigest string `json:"restored_digest"`
	Restored       bool   `json:"restored"`
}

// demoPaths are the demo's files.
type demoPaths struct {
	Dir             string `json:"dir"`
	Config          string `json:"config"`
	SimState        string `json:"sim_state"`
	Backup          string `json:"backup"`
	BackupJournal   string `json:"backup_journal"`
	DownloadJournal string `json:"download_journal"`
	Manifest        string `json:"manifest"`
	RestorePlan     string `json:"restore_plan"`
	RestoreJournal  string `json:"restore_journal"`
	RestoreSummary  string `json:"restore_summary"`
}

func newDemoPaths(dir string) demoPaths {
	backup := filepath.Join(dir, "backup")
	restore := filepath.Join(dir, "restore")
	return demoPaths{
		Dir:             dir,
		Config:          filepath.Join(dir, config.FileName),
		SimState:        filepath.Join(dir, "sim"),
		Backup:          backup,
		BackupJournal:   filepath.Join(backup, "backup-execution-journal.json"),
		DownloadJournal: filepath.Join(backup, "download-journal.json"),
		Manifest:        filepath.Join(backup, verify.ManifestFile),
		RestorePlan:     filepath.Join(restore, "restore-plan.json"),
		RestoreJournal:  filepath.Join(restore, "restore-apply-journal.json"),
		RestoreSummary:  filepath.Join(restore, "restore-run-summary.json"),
	}
}

// demo is one run of the demo.
type demo struct {
	e      env
	opts   demoOptions
	report demoReport
	start  time.Time
	sim    *sim.Simulator
}

func demoAction(c *cli.Context, e env) error {
	opts, err := demoFlags(c, e)
	if err != nil {
		return err
	}
	if opts.dir == "" {
		if opts.dir, err = os.MkdirTemp("", "canic-backup-demo-"); err != nil {
			return fmt.Errorf("demo: create a temporary directory: %w", err)
		}
		opts.ownDir = true
	} else if err := demoEmptyDir(opts.dir); err != nil {
		return err
	}
	if opts.dir, err = filepath.Abs(opts.dir); err != nil {
		return fmt.Errorf("demo: --dir: %w", err)
	}
	d := &demo{e: e, opts: opts, start: time.Now(),
		report: demoReport{Executor: opts.executor, Paths: newDemoPaths(opts.dir), Steps: []demoStep{}, Canisters: []demoCanister{}}}
	runErr := d.run(c.Context)
	return d.finish(runErr)
}

// demoEmptyDir creates dir, or accepts it when it exists and is empty.
func demoEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("demo: --dir %s: %w", dir, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("demo: --dir %s: %w", dir, err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("demo: --dir %s is not empty (found %s): %w", dir, entries[0].Name(), layout.ErrExists)
	}
	return nil
}

// run runs every step; the simulator is closed before it returns.
func (d *demo) run(ctx context.Context) (err error) {
	if !d.opts.json {
		fmt.Fprintf(d.e.stdout, "canic-backup demo: back up a simulated fleet, change it, restore it (executor: %s)\n\n", d.executorLabel())
	}
	defer func() {
		if d.sim == nil {
			return
		}
		closeCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if cerr := d.sim.Close(closeCtx); cerr != nil && err == nil {
			err = fmt.Errorf("demo: stop the simulator: %w", cerr)
		}
	}()
	steps := []struct {
		name string
		fn   func(context.Context) (string, error)
	}{
		{"start the simulator", d.startSim},
		{"back up through the " + d.opts.executor + " executor plugin", d.backup},
		{"verify the backup", d.verify},
		{"change every canister", d.mutate},
		{"restore (plan, apply, run --execute)", d.restore},
		{"compare state digests", d.compare},
	}
	for i, s := range steps {
		t0 := time.Now()
		detail, err := s.fn(ctx)
		took := time.Since(t0)
		if err != nil {
			if !d.opts.json {
				fmt.Fprintf(d.e.stdout, "%2d. %-44s %6s  FAILED\n", i+1, s.name, demoDuration(took))
			}
			return err
		}
		d.report.Steps = append(d.report.Steps, demoStep{Name: s.name, Millis: took.Milliseconds(), Detail: detail})
		if !d.opts.json {
			fmt.Fprintf(d.e.stdout, "%2d. %-44s %6s  %s\n", i+1, s.name, demoDuration(took), detail)
		}
	}
	return nil
}

func (d *demo) executorLabel() string {
	if d.opts.executor == demoExecutorDFX {
		return "dfx driver, icp flavor: " + d.opts.icp
	}
	return "built-in agent driver, run as a plugin process"
}

// startSim starts the simulator and writes the config `sim start` writes.
func (d *demo) startSim(ctx context.Context) (string, error) {
	p := d.report.Paths
	s, err := sim.Start(ctx, sim.Options{
		Addr:     net.JoinHostPort("127.0.0.1", "0"),
		StateDir: p.SimState,
		Fleet:    sim.Fleet{Name: "demo", Children: d.opts.children, Depth: 1, Size: d.opts.size, Seed: 1},
	})
	if err != nil {
		return "", fmt.Errorf("demo: start the simulator: %w", err)
	}
	d.sim = s
	info := s.Info()
	cfg := simConfigTOML(info, "demo")
	if d.opts.executor == demoExecutorDFX {
		// [executors.sim-icp] is the last table of the sim config; checked
		// below by loading the file.
		cfg += "binary = " + strconv.Quote(d.opts.icp) + "\n"
	}
	if err := layout.WriteFileAtomic(p.Config, []byte(cfg), 0o644); err != nil {
		return "", fmt.Errorf("demo: write %s: %w", p.Config, err)
	}
	if err := d.checkConfig(); err != nil {
		return "", err
	}
	return fmt.Sprintf("root %s + %d children of %s at %s", info.RootCanisterID, d.opts.children,
		demoBytes(d.opts.size), info.URL), nil
}

// checkConfig loads the written config as every command will, and checks
// that the dfx executor drives the icp binary the demo found.
func (d *demo) checkConfig() error {
	cfg, err := config.LoadFile(d.report.Paths.Config, builtinDrivers())
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	envr, _, err := cfg.Select(d.envName(), config.Lookup{Getenv: func(string) string { return "" }})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	ex, err := cfg.ExecutorOf(envr)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if d.opts.executor == demoExecutorDFX {
		s, ok := ex.Settings.(*dfx.Settings)
		if !ok || s.Binary != d.opts.icp {
			return fmt.Errorf("demo: %s: executor %q does not use %s", d.report.Paths.Config, ex.Name, d.opts.icp)
		}
	}
	return nil
}

// envName is the config environment of the chosen executor.
func (d *demo) envName() string {
	if d.opts.executor == demoExecutorDFX {
		return "sim-icp"
	}
	return "sim"
}

// command runs one canic-backup command in-process, exactly as the CLI
// does, and returns its stdout. Its stderr goes into the error.
func (d *demo) command(ctx context.Context, args ...string) (string, error) {
	var out, errOut bytes.Buffer
	sub := d.e
	sub.stdout, sub.stderr = &out, &errOut
	err := newApp(sub).RunContext(ctx, append([]string{"canic-backup"}, args...))
	if err != nil {
		msg := strings.TrimSpace(errOut.String())
		if msg != "" {
			msg = "\n" + msg
		}
		return out.String(), fmt.Errorf("demo: `canic-backup %s`: %w%s", strings.Join(args, " "), err, msg)
	}
	return out.String(), nil
}

// digest is a canister's state digest as its sim_digest query answers.
func (d *demo) digest(id string) (string, error) {
	p, err := d.principal(id)
	if err != nil {
		return "", err
	}
	dg, ok := d.sim.Replica().Digest(p)
	if !ok {
		return "", fmt.Errorf("demo: canister %s is not on the simulator", id)
	}
	return dg, nil
}

func (d *demo) principal(id string) ([]byte, error) {
	for _, p := range d.sim.Canisters() {
		if p.String() == id {
			return p.Raw, nil
		}
	}
	return nil, fmt.Errorf("demo: canister %s is not on the simulator", id)
}

// backup records each canister's digest and runs `backup create`.
func (d *demo) backup(ctx context.Context) (string, error) {
	p := d.report.Paths
	before := map[string]string{}
	for _, pr := range d.sim.Canisters() {
		dg, err := d.digest(pr.String())
		if err != nil {
			return "", err
		}
		before[pr.String()] = dg
	}
	if _, err := d.command(ctx, "backup", "create", "--config", p.Config, "--env", d.envName(), "--out", p.Backup); err != nil {
		return "", err
	}
	pl, err := verify.ReadPlan(p.Backup)
	if err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	for _, t := range pl.Targets {
		role := ""
		if t.Role != nil {
			role = *t.Role
		}
		d.report.Canisters = append(d.report.Canisters, demoCanister{CanisterID: t.CanisterID, Role: role, BackupDigest: before[t.CanisterID]})
	}
	return fmt.Sprintf("%d canisters (scope %s), %d operations", len(pl.Targets), pl.SelectedScopeKind, len(pl.Phases)), nil
}

// verify runs `backup verify --json`.
func (d *demo) verify(ctx context.Context) (string, error) {
	out, err := d.command(ctx, "backup", "verify", "--dir", d.report.Paths.Backup, "--json")
	if err != nil {
		return "", err
	}
	var r verify.Report
	if err := wire.Unmarshal([]byte(out), &r); err != nil {
		return "", fmt.Errorf("demo: backup verify --json: %w", err)
	}
	if !r.Verified || r.DurableArtifacts != len(d.report.Canisters) {
		return "", fmt.Errorf("demo: backup verify: verified=%t with %d artifacts, want %d", r.Verified, r.DurableArtifacts, len(d.report.Canisters))
	}
	d.report.BackupVerified = true
	return fmt.Sprintf("%d members, %d artifacts, checksums match", r.ManifestMembers, r.DurableArtifacts), nil
}

// mutate calls each canister's sim_mutate update so that its memory, and
// so its digest, changes.
func (d *demo) mutate(ctx context.Context) (string, error) {
	sender := d.sim.ControllerIdentity().Sender().Raw
	for i := range d.report.Canisters {
		c := &d.report.Canisters[i]
		p, err := d.principal(c.CanisterID)
		if err != nil {
			return "", err
		}
		arg, err := idl.Marshal([]any{uint64(1000 + i)})
		if err != nil {
			return "", fmt.Errorf("demo: encode sim_mutate argument: %w", err)
		}
		if _, err := d.sim.Replica().Execute(ctx, replicaCall(sender, p, "sim_mutate", arg)); err != nil {
			return "", fmt.Errorf("demo: sim_mutate on %s: %w", c.CanisterID, err)
		}
		if c.MutatedDigest, err = d.digest(c.CanisterID); err != nil {
			return "", err
		}
		if c.MutatedDigest == c.BackupDigest {
			return "", fmt.Errorf("demo: canister %s: digest %s unchanged by sim_mutate: %w", c.CanisterID, c.MutatedDigest, errDemoDigest)
		}
	}
	return fmt.Sprintf("%d digests changed", len(d.report.Canisters)), nil
}

// replicaCall is an update call of the simulator's built-in application.
func replicaCall(sender, canister []byte, method string, arg []byte) replica.Call {
	return replica.Call{Sender: sender, Canister: canister, Method: method, Arg: arg, Kind: replica.Update}
}

// restoreRunSummary is the part of `restore run --json` the demo reads.
type restoreRunSummary struct {
	Complete            bool `json:"complete"`
	CompletedOperations int  `json:"completed_operations"`
	OperationCount      int  `json:"operation_count"`
}

// restore runs restore plan → apply → run --execute through the config's
// executor.
func (d *demo) restore(ctx context.Context) (string, error) {
	p := d.report.Paths
	if err := os.MkdirAll(filepath.Dir(p.RestorePlan), 0o755); err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	if _, err := d.command(ctx, "restore", "plan", "--backup-dir", p.Backup, "--require-verified",
		"--require-restore-ready", "--out", p.RestorePlan); err != nil {
		return "", err
	}
	if _, err := d.command(ctx, "restore", "apply", "--plan", p.RestorePlan, "--backup-dir", p.Backup, "--dry-run",
		"--out", filepath.Join(filepath.Dir(p.RestorePlan), "restore-apply-dry-run.json"), "--journal-out", p.RestoreJournal); err != nil {
		return "", err
	}
	out, err := d.command(ctx, "restore", "run", "--journal", p.RestoreJournal, "--execute", "--config", p.Config,
		"--env", d.envName(), "--require-complete", "--out", p.RestoreSummary, "--json")
	if err != nil {
		return "", err
	}
	var s restoreRunSummary
	if err := wire.Unmarshal([]byte(out), &s); err != nil {
		return "", fmt.Errorf("demo: restore run --json: %w", err)
	}
	return fmt.Sprintf("%d/%d operations completed", s.CompletedOperations, s.OperationCount), nil
}

// compare reads every canister's digest after the restore.
func (d *demo) compare(context.Context) (string, error) {
	var bad []string
	for i := range d.report.Canisters {
		c := &d.report.Canisters[i]
		dg, err := d.digest(c.CanisterID)
		if err != nil {
			return "", err
		}
		c.RestoredDigest, c.Restored = dg, dg == c.BackupDigest
		if !c.Restored {
			bad = append(bad, c.CanisterID)
		}
	}
	if len(bad) > 0 {
		return "", fmt.Errorf("demo: %d canisters not restored to their backup-time state (%s): %w",
			len(bad), strings.Join(bad, ", "), errDemoDigest)
	}
	d.report.AllRestored = true
	n := len(d.report.Canisters)
	return fmt.Sprintf("%d/%d back to their backup-time state", n, n), nil
}

// finish prints the table, the paths (or the JSON report), and removes
// the directory when asked to.
func (d *demo) finish(runErr error) error {
	r := &d.report
	r.OK = runErr == nil && r.BackupVerified && r.AllRestored
	if runErr != nil {
		msg := runErr.Error()
		r.Error = &msg
	}
	// A failed demo always keeps its files: they are what to look at.
	r.Kept = d.opts.keep || runErr != nil
	var rmErr error
	if !r.Kept {
		if d.opts.ownDir {
			rmErr = os.RemoveAll(d.opts.dir)
		} else {
			rmErr = demoRemoveContents(d.opts.dir)
		}
	}
	r.TotalMillis = time.Since(d.start).Milliseconds()
	if d.opts.json {
		if err := writeJSON(d.e.stdout, r); err != nil {
			return errors.Join(runErr, err)
		}
		return errors.Join(runErr, rmErr)
	}
	w := d.e.stdout
	if len(r.Canisters) > 0 && r.Canisters[0].MutatedDigest != "" {
		fmt.Fprintln(w)
		rows := make([][]string, 0, len(r.Canisters))
		for _, c := range r.Canisters {
			mark := "✓"
			if !c.Restored {
				mark = "✗"
			}
			rows = append(rows, []string{c.CanisterID, c.Role, demoShort(c.BackupDigest), demoShort(c.MutatedDigest),
				demoShort(c.RestoredDigest), mark})
		}
		fmt.Fprintln(w, renderTable([]string{"CANISTER", "ROLE", "AT BACKUP", "AFTER CHANGE", "RESTORED", "OK"}, rows))
	}
	fmt.Fprintln(w)
	if r.OK {
		fmt.Fprintf(w, "ok: backup verified and every canister is back to its backup-time state (%d canisters, %s in total)\n",
			len(r.Canisters), demoDuration(time.Duration(r.TotalMillis)*time.Millisecond))
	} else {
		fmt.Fprintln(w, "the demo failed; its files are kept for a look:")
	}
	if r.Kept {
		p := r.Paths
		rel := func(s string) string {
			if x, err := filepath.Rel(p.Dir, s); err == nil {
				return x
			}
			return s
		}
		fmt.Fprintf(w, "\nfiles, under %s:\n", p.Dir)
		fmt.Fprintf(w, "  config           %s\n", rel(p.Config))
		fmt.Fprintf(w, "  backup           %s/ (manifest %s)\n", rel(p.Backup), filepath.Base(p.Manifest))
		fmt.Fprintf(w, "  backup journals  %s, %s\n", rel(p.BackupJournal), rel(p.DownloadJournal))
		fmt.Fprintf(w, "  restore          %s, %s, %s\n", rel(p.RestorePlan), rel(p.RestoreJournal), rel(p.RestoreSummary))
		fmt.Fprintf(w, "  simulator state  %s/\n", rel(p.SimState))
		fmt.Fprintf(w, "\nnext:\n  canic-backup backup inspect --dir %s\n", p.Backup)
		fmt.Fprintf(w, "  canic-backup sim start --state-dir %s   # serve the fleet again (writes its own canic.toml there)\n", p.SimState)
		fmt.Fprintf(w, "  rm -rf %s   # when done\n", p.Dir)
	} else {
		fmt.Fprintf(w, "removed %s (--keep=false)\n", d.opts.dir)
	}
	return errors.Join(runErr, rmErr)
}

// demoRemoveContents empties dir (a --dir the user gave) but keeps it.
func demoRemoveContents(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	for _, en := range entries {
		if err := os.RemoveAll(filepath.Join(dir, en.Name())); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	return nil
}

// demoShort shortens a hex digest for the table.
func demoShort(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// demoDuration renders a step's time: 0.42s, 12.3s.
func demoDuration(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// demoBytes renders a byte count in binary units.
func demoBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
