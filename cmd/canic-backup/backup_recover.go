package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/runner"
)

// backupRecoverCommand is `backup recover`: start the canisters a backup
// run stopped and did not start.
func backupRecoverCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "recover",
		Usage:     "start every canister a backup run left stopped, and record it in the journal",
		UsageText: "canic-backup backup recover --dir DIR [--plugin FILE [--plugin-sha256 HEX] | --config FILE [--env NAME]] [--json]",
		Description: "Reads DIR's execution journal, starts each canister whose stop completed and whose start did not,\n" +
			"and records the restarts on the failed operation (failing the interrupted one first if none failed),\n" +
			"so `backup run --retry-failed` (or `backup resume --retry-failed`) re-stops them before any snapshot.\n" +
			"Exits 4 when a canister could not be started.\n\n" +
			"Example:\n   canic-backup backup recover --dir backups/fleet-demo-20260512-140000 --config canic.toml",
		Flags: []cli.Flag{
			dirFlag(),
			&cli.StringFlag{Name: "plugin", Usage: "executor plugin binary `FILE` (instead of the config's executor)"},
			&cli.StringFlag{Name: "plugin-sha256", Usage: "refuse to start a plugin whose sha256 is not `HEX`"},
			configFlag(),
			envFlag(),
			jsonFlag(),
		},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return backupRecover(c, e) },
	}
}

func backupRecover(c *cli.Context, e env) error {
	if err := leafArgs(c); err != nil {
		return err
	}
	dir, err := requireFlag(c, "dir")
	if err != nil {
		return err
	}
	p, j, err := readPlanAndJournal(dir)
	if err != nil {
		return err
	}
	var report *runner.RecoverReport
	var recErr error
	if len(runner.LeftStopped(j)) == 0 {
		// Nothing to start: no executor needed.
		report = &runner.RecoverReport{PlanID: p.PlanID, RunID: p.RunID, Restarted: []string{}, StillStopped: []string{}, AlreadyRunning: []string{}}
	} else {
		exec, closeExec, err := recoverExecutor(c, e, p)
		if err != nil {
			return err
		}
		report, recErr = runner.Recover(c.Context, runner.Config{Dir: dir, Clock: e.now}, exec)
		recErr = errors.Join(recErr, closeExec())
	}
	if report != nil {
		if c.Bool("json") {
			if err := writeJSON(e.stdout, report); err != nil {
				return errors.Join(recErr, err)
			}
		} else {
			printRecoverReport(e, dir, report)
		}
	}
	if report != nil && len(report.StillStopped) > 0 {
		return needsAttention(recErr, "canisters %s are still stopped; run `canic-backup backup recover --dir %s` again once they can start",
			strings.Join(report.StillStopped, ", "), dir)
	}
	return recErr
}

func printRecoverReport(e env, dir string, r *runner.RecoverReport) {
	switch {
	case r.FailedSequence == nil:
		fmt.Fprintf(e.stdout, "%s %s: no canister was left stopped; nothing to do\n", r.PlanID, r.RunID)
		return
	case r.Interrupted:
		fmt.Fprintf(e.stdout, "%s %s: recorded operation %d as interrupted\n", r.PlanID, r.RunID, *r.FailedSequence)
	}
	for _, id := range r.AlreadyRunning {
		fmt.Fprintf(e.stdout, "already running %s (restart recorded)\n", id)
	}
	for _, id := range r.Restarted {
		fmt.Fprintf(e.stdout, "started %s\n", id)
	}
	for _, id := range r.StillStopped {
		fmt.Fprintf(e.stdout, "STILL STOPPED %s\n", id)
	}
	if len(r.Restarted)+len(r.AlreadyRunning) > 0 {
		fmt.Fprintf(e.stdout, "restarts recorded on operation %d; continue the backup with `canic-backup backup resume --dir %s --retry-failed`\n",
			*r.FailedSequence, dir)
	}
}

// recoverExecutor opens the executor that starts the canisters: the
// env's injected one, else --plugin, else the config environment of the
// plan's network and root (as `backup resume` does).
func recoverExecutor(c *cli.Context, e env, p *plan.BackupPlan) (runner.Executor, func() error, error) {
	if e.openExecutor != nil || c.String("plugin") != "" {
		open := e.openExecutor
		if open == nil {
			open = openPlugin
		}
		return open(c.Context, executorSpec{Plugin: c.String("plugin"), SHA256: c.String("plugin-sha256"), Network: p.Network})
	}
	cfg, err := loadConfig(c, e)
	if err != nil {
		return nil, nil, err
	}
	envr, err := resumeEnvironment(c, e, cfg, p.Network, p.RootCanisterID)
	if err != nil {
		return nil, nil, err
	}
	ex, err := cfg.ExecutorOf(envr)
	if err != nil {
		return nil, nil, err
	}
	client, err := startClient(c.Context, e, ex)
	if err != nil {
		return nil, nil, err
	}
	return newPluginExecutor(client, p.Network), client.Close, nil
}
