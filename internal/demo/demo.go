// Package demo is the engine of `canic-backup demo`: a whole backup and
// restore of a simulated fleet, start to finish, with nothing to set up.
// It starts the simulator in-process, writes the fleet's canic.toml
// (internal/simfleet, as `sim start` writes it), runs the real commands
// through the CLI's own code paths, changes every canister and compares
// every state digest. The CLI binds the flags and renders the Report.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/verify"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/driver/dfx"
	"github.com/canic-backup/canic-backup/internal/platform"
	"github.com/canic-backup/canic-backup/internal/simfleet"
	"github.com/canic-backup/canic-backup/sim"
)

// The demo's executors: the built-in agent driver, or the dfx driver in
// its icp flavor driving the real icp CLI.
const (
	ExecutorAgent = "agent"
	ExecutorDFX   = "dfx"
)

// icpInstall says how to get the icp CLI the dfx executor drives.
const icpInstall = "install icp 1.5.0 with `npm i -g @icp-sdk/icp-cli-linux-x64@1.5.0`, or run `make icp` in a clone " +
	"and set CANIC_ICP_BIN=$PWD/" + makeICP + "; or leave out --executor dfx to use the built-in agent driver"

// makeICP is where `make icp` installs the icp CLI (relative to the
// repository root).
const makeICP = ".cache/npm/node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp"

// ErrDigest is matched when a canister's state digest is not what the
// demo expects (unchanged by the mutation, or not restored).
var ErrDigest = errors.New("state digest mismatch")

// Options are the demo's settings, bound from its flags.
type Options struct {
	// Executor is ExecutorAgent or ExecutorDFX.
	Executor string
	// ICP is the icp binary (ExecutorDFX only; see FindICP).
	ICP string
	// Dir is where everything is written; empty: a new temporary
	// directory. It must not exist or be empty.
	Dir string
	// Keep keeps the directory after a successful run.
	Keep bool
	// Size is each canister's memory; Children the root's children.
	Size     int64
	Children int
}

// Hooks connect the engine to the CLI.
type Hooks struct {
	// Command runs one canic-backup command in-process, exactly as the CLI
	// does, writing to stdout and stderr.
	Command func(ctx context.Context, stdout, stderr io.Writer, args ...string) error
	// Drivers are the built-in executor drivers the config is loaded with.
	Drivers config.Drivers
	// Started is called once the directory is ready, before the first
	// step, with the executor's description (nil: not called).
	Started func(executorLabel string)
	// Step is called after each step, with its error when it failed (nil:
	// not called).
	Step func(n int, name string, took time.Duration, detail string, err error)
}

// Report is what the demo found; --json prints it.
type Report struct {
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
	Steps []Step `json:"steps"`
	// Canisters lists every backed-up canister's digests.
	Canisters []Canister `json:"canisters"`
	// Paths says where the files are.
	Paths Paths `json:"paths"`
	// Kept is true when the directory was kept.
	Kept bool `json:"kept"`
	// TotalMillis is the whole demo's wall time.
	TotalMillis int64 `json:"total_ms"`
}

// Step is one numbered step.
type Step struct {
	Name   string `json:"name"`
	Millis int64  `json:"ms"`
	Detail string `json:"detail"`
}

// Canister is one canister's state digests (hex sha256 of its wasm and
// stable memory) at backup time, after the demo changed it, and restored.
type Canister struct {
	CanisterID     string `json:"canister_id"`
	Role           string `json:"role"`
	BackupDigest   string `json:"backup_digest"`
	MutatedDigest  string `json:"mutated_digest"`
	RestoredDigest string `json:"restored_digest"`
	Restored       bool   `json:"restored"`
}

// Paths are the demo's files.
type Paths struct {
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

// NewPaths are the demo's files under dir.
func NewPaths(dir string) Paths {
	backup := filepath.Join(dir, "backup")
	restore := filepath.Join(dir, "restore")
	return Paths{
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

// Result is a finished demo: its report, why it failed (RunErr) and
// whether removing its directory (Keep false) failed (RemoveErr).
type Result struct {
	Report    *Report
	RunErr    error
	RemoveErr error
}

// FindICP finds the icp CLI: $CANIC_ICP_BIN, icp on PATH, or the copy
// `make icp` installs under the working directory.
func FindICP(getenv func(string) string) (string, error) {
	if p := getenv("CANIC_ICP_BIN"); p != "" {
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			return "", fmt.Errorf("demo --executor dfx: $CANIC_ICP_BIN=%q is not a file; %s", p, icpInstall)
		}
		return filepath.Abs(p)
	}
	for _, dir := range filepath.SplitList(getenv("PATH")) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, "icp"+platform.ExeSuffix)
		if st, err := os.Stat(p); err == nil && platform.Executable(st) {
			return filepath.Abs(p)
		}
	}
	if st, err := os.Stat(makeICP); err == nil && !st.IsDir() {
		return filepath.Abs(makeICP)
	}
	return "", fmt.Errorf("demo --executor dfx: the icp CLI is not on PATH and $CANIC_ICP_BIN is not set; %s", icpInstall)
}

// demo is one run of the demo.
type demo struct {
	opts   Options
	ownDir bool // opts.Dir was created by the demo as a temporary directory
	hooks  Hooks
	report Report
	start  time.Time
	sim    *sim.Simulator
}

// Run prepares the directory and runs the demo. An error means the
// directory could not be prepared and nothing ran; otherwise the Result
// says how the run ended.
func Run(ctx context.Context, opts Options, hooks Hooks) (Result, error) {
	ownDir := false
	var err error
	if opts.Dir == "" {
		if opts.Dir, err = os.MkdirTemp("", "canic-backup-demo-"); err != nil {
			return Result{}, fmt.Errorf("demo: create a temporary directory: %w", err)
		}
		ownDir = true
	} else if err := emptyDir(opts.Dir); err != nil {
		return Result{}, err
	}
	if opts.Dir, err = filepath.Abs(opts.Dir); err != nil {
		return Result{}, fmt.Errorf("demo: --dir: %w", err)
	}
	d := &demo{opts: opts, ownDir: ownDir, hooks: hooks, start: time.Now(),
		report: Report{Executor: opts.Executor, Paths: NewPaths(opts.Dir), Steps: []Step{}, Canisters: []Canister{}}}
	runErr := d.run(ctx)
	return d.finish(runErr), nil
}

// emptyDir creates dir, or accepts it when it exists and is empty.
func emptyDir(dir string) error {
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
	if d.hooks.Started != nil {
		d.hooks.Started(d.executorLabel())
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
		{"back up through the " + d.opts.Executor + " executor plugin", d.backup},
		{"verify the backup", d.verify},
		{"change every canister", d.mutate},
		{"restore (plan, apply, run --execute)", d.restore},
		{"compare state digests", d.compare},
	}
	for i, s := range steps {
		t0 := time.Now()
		detail, err := s.fn(ctx)
		took := time.Since(t0)
		if err == nil {
			d.report.Steps = append(d.report.Steps, Step{Name: s.name, Millis: took.Milliseconds(), Detail: detail})
		}
		if d.hooks.Step != nil {
			d.hooks.Step(i+1, s.name, took, detail, err)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) executorLabel() string {
	if d.opts.Executor == ExecutorDFX {
		return "dfx driver, icp flavor: " + d.opts.ICP
	}
	return "built-in agent driver, run as a plugin process"
}

// startSim starts the simulator and writes the config `sim start` writes.
func (d *demo) startSim(ctx context.Context) (string, error) {
	p := d.report.Paths
	s, err := sim.Start(ctx, sim.Options{
		Addr:     net.JoinHostPort("127.0.0.1", "0"),
		StateDir: p.SimState,
		Fleet:    sim.Fleet{Name: "demo", Children: d.opts.Children, Depth: 1, Size: d.opts.Size, Seed: 1},
	})
	if err != nil {
		return "", fmt.Errorf("demo: start the simulator: %w", err)
	}
	d.sim = s
	info := s.Info()
	var co simfleet.ConfigOptions
	if d.opts.Executor == ExecutorDFX {
		// Checked below by loading the file.
		co.ICPBinary = d.opts.ICP
	}
	if err := layout.WriteFileAtomic(p.Config, []byte(simfleet.ConfigTOML(info, "demo", co)), 0o644); err != nil {
		return "", fmt.Errorf("demo: write %s: %w", p.Config, err)
	}
	if err := d.checkConfig(); err != nil {
		return "", err
	}
	return fmt.Sprintf("root %s + %d children of %s at %s", info.RootCanisterID, d.opts.Children,
		FormatBytes(d.opts.Size), info.URL), nil
}

// checkConfig loads the written config as every command will, and checks
// that the dfx executor drives the icp binary the demo found.
func (d *demo) checkConfig() error {
	cfg, err := config.LoadFile(d.report.Paths.Config, d.hooks.Drivers)
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
	if d.opts.Executor == ExecutorDFX {
		s, ok := ex.Settings.(*dfx.Settings)
		if !ok || s.Binary != d.opts.ICP {
			return fmt.Errorf("demo: %s: executor %q does not use %s", d.report.Paths.Config, ex.Name, d.opts.ICP)
		}
	}
	return nil
}

// envName is the config environment of the chosen executor.
func (d *demo) envName() string {
	if d.opts.Executor == ExecutorDFX {
		return simfleet.EnvICP
	}
	return simfleet.EnvAgent
}

// command runs one canic-backup command in-process, exactly as the CLI
// does, and returns its stdout. Its stderr goes into the error.
func (d *demo) command(ctx context.Context, args ...string) (string, error) {
	var out, errOut strings.Builder
	if err := d.hooks.Command(ctx, &out, &errOut, args...); err != nil {
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
	dg, err := simfleet.Digest(d.sim, id)
	if err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	return dg, nil
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
		d.report.Canisters = append(d.report.Canisters, Canister{CanisterID: t.CanisterID, Role: role, BackupDigest: before[t.CanisterID]})
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
	for i := range d.report.Canisters {
		c := &d.report.Canisters[i]
		if err := simfleet.Mutate(ctx, d.sim, c.CanisterID, uint64(1000+i)); err != nil {
			return "", fmt.Errorf("demo: %w", err)
		}
		var err error
		if c.MutatedDigest, err = d.digest(c.CanisterID); err != nil {
			return "", err
		}
		if c.MutatedDigest == c.BackupDigest {
			return "", fmt.Errorf("demo: canister %s: digest %s unchanged by sim_mutate: %w", c.CanisterID, c.MutatedDigest, ErrDigest)
		}
	}
	return fmt.Sprintf("%d digests changed", len(d.report.Canisters)), nil
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
			len(bad), strings.Join(bad, ", "), ErrDigest)
	}
	d.report.AllRestored = true
	n := len(d.report.Canisters)
	return fmt.Sprintf("%d/%d back to their backup-time state", n, n), nil
}

// finish completes the report and removes the directory when asked to.
func (d *demo) finish(runErr error) Result {
	r := &d.report
	r.OK = runErr == nil && r.BackupVerified && r.AllRestored
	if runErr != nil {
		msg := runErr.Error()
		r.Error = &msg
	}
	// A failed demo always keeps its files: they are what to look at.
	r.Kept = d.opts.Keep || runErr != nil
	var rmErr error
	if !r.Kept {
		if d.ownDir {
			rmErr = os.RemoveAll(d.opts.Dir)
		} else {
			rmErr = removeContents(d.opts.Dir)
		}
	}
	r.TotalMillis = time.Since(d.start).Milliseconds()
	return Result{Report: r, RunErr: runErr, RemoveErr: rmErr}
}

// removeContents empties dir (a --dir the user gave) but keeps it.
func removeContents(dir string) error {
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

// FormatBytes renders a byte count in binary units: 4 MiB, 1000 bytes.
func FormatBytes(n int64) string {
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
