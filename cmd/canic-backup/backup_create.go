package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/registry"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/timestamp"
	"github.com/canic-backup/canic-backup/pluginapi"
)

// backupCreateCommand is `backup create`: discover the fleet through the
// environment's executor, plan, persist and run.
func backupCreateCommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "create",
		Usage: "discover the fleet through the environment's executor, plan the backup and run it",
		UsageText: "canic-backup backup create [--config FILE] [--env NAME] [--store NAME [--keep-local]] [--subtree ROLE|ID] [--out DIR] [--dry-run] [--max-steps N]\n\n" +
			"The registry is read from the environment's root canister by its executor. Without --out the backup\n" +
			"goes to backups/fleet-<fleet>-<YYYYMMDD-HHMMSS> (UTC), as in canic 0.35.1. --dry-run writes the plan\n" +
			"and journal only. An interrupted or failed run is continued with `canic-backup backup resume`.\n\n" +
			"With a store (--store, $" + envStore + " or the environment's store key) the fleet's lock in the store is\n" +
			"taken first (host $" + envHost + " or the host name, lease $" + envLockTTL + ", default 2m): a run of the\n" +
			"same fleet on another host is refused. A dir store holds the backup under its path; for a remote store\n" +
			"the run writes a staging directory (--out, else <user cache dir>/canic-backup/staging/<store>/<name>):\n" +
			"each artifact goes to the store as soon as it is verified and leaves the disk, then the documents are\n" +
			"published and the directory removed. --keep-local keeps every artifact locally and publishes at the end.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-restart-on-failure", Usage: "leave the canisters a failed run stopped (start them later with `backup recover`)"},
			configFlag(),
			envFlag(),
			&cli.StringFlag{Name: "subtree", Usage: "back up only the subtree under `ROLE|ID`; default: every canister but the root"},
			&cli.StringFlag{Name: "out", Usage: "backup directory `DIR` to create (default backups/fleet-<fleet>-<stamp>; with --store, " +
				"<store path>/fleet-<fleet>-<stamp> for a dir store, the staging directory for a remote one)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "write the plan and journal, run nothing"},
			&cli.IntFlag{Name: "max-steps", Usage: "stop after `N` operations (0: no limit); resume later"},
			storeFlag(),
			keepLocalFlag(),
			concurrencyFlag(),
			jsonLinesFlag(),
		},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return backupCreate(c, e) },
	}
}

// defaultBackupDir is 0.35.1's default out directory:
// backups/fleet-<file-safe fleet>-<YYYYMMDD-HHMMSS UTC>.
func defaultBackupDir(fleet string, e env) string {
	return filepath.Join("backups", "fleet-"+plan.FileSafeComponent(fleet)+"-"+timestamp.DirectoryStamp(e.now()))
}

func backupCreate(c *cli.Context, e env) (err error) {
	if err := leafArgs(c); err != nil {
		return err
	}
	if c.Int("max-steps") < 0 {
		return usagef("%s: --max-steps must be >= 0, got %d", commandName(c), c.Int("max-steps"))
	}
	cfg, envr, ex, err := selectEnvironment(c, e)
	if err != nil {
		return err
	}
	concurrency, err := runConcurrency(c, ex.Settings)
	if err != nil {
		return err
	}
	sc, err := selectStore(c, e, cfg, &envr)
	if err != nil {
		return err
	}
	ctx := c.Context
	out := c.String("out")
	var sr *storeRun
	if sc != nil {
		if sr, err = newStoreRun(e, sc, out, defaultBackupDir(envr.Fleet, e), c.Bool("keep-local")); err != nil {
			return err
		}
		out = sr.staging
		// The fleet's lease comes before anything is planned or stopped:
		// a refused create changes nothing.
		if !c.Bool("dry-run") {
			if ctx, err = sr.lockFleet(ctx, e, envr.Fleet, leasePurpose("create", sr.name)); err != nil {
				return err
			}
			defer func() { err = errors.Join(err, sr.lock.Release(c.Context)) }()
		}
	}
	view, err := startProgress(c, e)
	if err != nil {
		return err
	}
	defer view.Finish(nil) //nolint:errcheck // the explicit Finish below reports errors
	client, err := startClient(ctx, e, ex)
	if err != nil {
		return err
	}
	defer client.Close()

	info, err := client.Info(ctx)
	if err != nil {
		return err
	}
	if !info.Has(pluginapi.CapabilityRegistry) {
		return fmt.Errorf("executor %q (%s %s) cannot query the registry; plan from a registry file with `canic-backup backup plan --registry FILE`",
			client.Name(), info.Name, info.Version)
	}
	entries, err := client.QueryRegistry(ctx, envr.Network, envr.Root)
	if err != nil {
		return sr.settle(fmt.Errorf("environment %s: query the registry of root %s on %s: %w", envr.Name, envr.Root, envr.Network, err))
	}
	p, err := plan.Create(plan.CreateInput{
		Fleet:          envr.Fleet,
		Network:        envr.Network,
		RootCanisterID: envr.Root,
		Registry:       registryEntries(entries),
		Subtree:        c.String("subtree"),
		DryRun:         c.Bool("dry-run"),
		Now:            e.now(),
	})
	if err != nil {
		return fmt.Errorf("environment %s: plan (root %s, --subtree %q): %w", envr.Name, envr.Root, c.String("subtree"), err)
	}
	if out == "" {
		out = defaultBackupDir(envr.Fleet, e)
	}
	if _, err := runner.Prepare(out, p); err != nil {
		return err
	}
	row := createRow{fleet: p.Fleet, network: p.Network, mode: "execute", scope: scopeLabel(p),
		targets: len(p.Targets), operations: len(p.Phases), out: out}
	if c.Bool("dry-run") {
		row.mode, row.status = "dry-run", "planned"
		if err := view.Finish(nil); err != nil {
			return err
		}
		if view.JSONLines() {
			return nil
		}
		return row.print(e.stdout)
	}
	var sink runner.ArtifactSink
	if sr != nil {
		if sink, err = sr.artifactSink(false); err != nil {
			return err
		}
	}
	resp, runErr := runner.Run(ctx, runner.Config{Dir: out, MaxSteps: c.Int("max-steps"), Clock: e.now, NoRestartOnFailure: c.Bool("no-restart-on-failure"),
		Observer: view.Observer(), Concurrency: concurrency, RecordDowntime: true, Sink: sink},
		newPluginExecutor(client, p.Network))
	return finishRun(c, e, view, row, resp, runErr, sr)
}

// finishRun ends the progress view with the run's response, prints the
// one-row table (not with --json-lines, whose result line is the output)
// and adds the resume hint to a failure, and exit 4 with the recover hint
// when the journal shows canisters left stopped. A run into a remote store
// (sr) that completed is published first: the published line follows the
// table (with --json-lines a "published" line comes before the result).
func finishRun(c *cli.Context, e env, view *runView, row createRow, resp *runner.Response, runErr error, sr *storeRun) error {
	runErr = sr.settle(runErr)
	var pub *archive.PublishReport
	var pubErr error
	if runErr == nil && resp != nil && resp.Complete && sr.remote() {
		pub, pubErr = sr.publish(c)
		if pub != nil && view.JSONLines() {
			pubErr = errors.Join(pubErr, writePublishedEvent(e, pub))
		}
	}
	var result any
	if resp != nil {
		result = resp
	}
	if err := view.Finish(result); err != nil {
		runErr = errors.Join(runErr, err)
	}
	row.finish(resp, runErr)
	if !view.JSONLines() {
		if err := row.print(e.stdout); err != nil {
			return errors.Join(runErr, pubErr, err)
		}
		if pub != nil {
			fmt.Fprintln(e.stdout, publishedLine(pub, sr.sc.Store.String()))
		}
	}
	if runErr == nil {
		if resp != nil && !resp.Complete && sr.remote() {
			fmt.Fprintf(e.stderr, "backup %s is not published to %s until it completes: run `%s`\n",
				sr.name, sr.sc.Store.String(), resumeCommand(c, sr.resumeArgs(row.out)))
		}
		return pubErr
	}
	// Canisters the run could not start again need `backup recover`
	// first (exit 4), as after `backup run`.
	return leftStoppedAttention(row.out, resumeHint(runErr, sr.resumeArgs(row.out), row.out, c))
}

// registryEntries converts an executor's registry to core/registry's form
// (an empty string is an absent value).
func registryEntries(entries []pluginapi.RegistryEntry) []registry.Entry {
	out := make([]registry.Entry, 0, len(entries))
	for _, e := range entries {
		out = append(out, registry.Entry{
			Pid: e.PID, Role: optional(e.Role), ParentPid: optional(e.ParentPID), ModuleHash: optional(e.ModuleHash),
		})
	}
	return out
}

// scopeLabel is 0.35.1's scope cell: non-root-fleet, subtree:<root>, ...
func scopeLabel(p *plan.BackupPlan) string {
	s := string(p.SelectedScopeKind)
	if p.SelectedSubtreeRoot != nil && *p.SelectedSubtreeRoot != "" && s != "non-root-fleet" && s != "maintenance-root" {
		s += ":" + *p.SelectedSubtreeRoot
	}
	return s
}

// createRow is the one-row table `backup create` and `backup resume` print
// (0.35.1's create table).
type createRow struct {
	fleet, network, mode, status, scope string
	targets, operations                 int
	executed                            uint64
	out                                 string
}

// finish sets the status and count from a run.
func (r *createRow) finish(resp *runner.Response, runErr error) {
	r.status = "running"
	if resp != nil {
		r.executed = resp.ExecutedOperationCount
		switch {
		case resp.Complete:
			r.status = "complete"
		case resp.MaxStepsReached:
			r.status = "paused"
		}
	}
	if runErr != nil {
		r.status = "failed"
	}
}

func (r createRow) print(w io.Writer) error {
	_, err := io.WriteString(w, renderTable(
		[]string{"FLEET", "NETWORK", "MODE", "STATUS", "SCOPE", "TARGETS", "OPERATIONS", "EXECUTED", "OUT"},
		[][]string{{r.fleet, r.network, r.mode, r.status, r.scope, strconv.Itoa(r.targets), strconv.Itoa(r.operations),
			strconv.FormatUint(r.executed, 10), r.out}})+"\n")
	return err
}

// renderTable renders 0.35.1's tables: header, dashes, rows; cells padded
// to the column width and joined by three spaces; rows right-trimmed.
func renderTable(header []string, rows [][]string) string {
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = len([]rune(h))
	}
	for _, row := range rows {
		for i, c := range row {
			if n := len([]rune(c)); n > widths[i] {
				widths[i] = n
			}
		}
	}
	line := func(cells []string) string {
		parts := make([]string, len(cells))
		for i, c := range cells {
			parts[i] = c + strings.Repeat(" ", widths[i]-len([]rune(c)))
		}
		return strings.TrimRight(strings.Join(parts, "   "), " ")
	}
	dashes := make([]string, len(header))
	for i, w := range widths {
		dashes[i] = strings.Repeat("-", w)
	}
	lines := []string{line(header), strings.Join(dashes, "   ")}
	for _, row := range rows {
		lines = append(lines, line(row))
	}
	return strings.Join(lines, "\n")
}

// resumeHint adds the command that continues a failed or stopped run;
// args find the run (`--dir DIR`, or `--store S --backup N` for a remote
// store's backup).
func resumeHint(runErr error, args, dir string, c *cli.Context) error {
	if runErr == nil {
		return nil
	}
	if msg := deadEndHint(runErr, c); msg != "" {
		return fmt.Errorf("%w\n%s", runErr, msg)
	}
	cmd := resumeCommand(c, args)
	var failed *runner.FailedOperationError
	var opFailed *runner.CommandFailedError
	var interrupted *runner.InterruptedError
	if errors.As(runErr, &failed) || errors.As(runErr, &opFailed) || errors.As(runErr, &interrupted) {
		cmd += " --retry-failed"
	}
	var unrecorded *runner.UnrecordedRestartError
	if errors.As(runErr, &unrecorded) {
		// The journal on disk still shows the canisters stopped: recover
		// (which reads their status) records the restarts first.
		return fmt.Errorf("%w\nonce the backup directory can be written again (free space), run `%s`, then `%s --retry-failed` to continue",
			runErr, recoverCommand(c, args), strings.TrimSuffix(cmd, " --retry-failed"))
	}
	if msg := repeatedFailureHint(runErr, dir, cmd); msg != "" {
		return fmt.Errorf("%w\n%s", runErr, msg)
	}
	return fmt.Errorf("%w\nrun `%s` to continue", runErr, cmd)
}
