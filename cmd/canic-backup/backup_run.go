package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/verify"
)

// backupRunCommand is `backup run`: execute (or resume) a planned backup
// through an executor plugin.
func backupRunCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "execute or resume a planned backup through an executor plugin",
		UsageText: "canic-backup backup run --dir DIR --plugin FILE [--plugin-sha256 HEX] [--max-steps N] [--retry-failed] [--json | --json-lines]",
		Description: "Runs the plan in DIR from where its journal stands. Progress: a live view on a terminal,\n" +
			"one log line per operation otherwise, events as JSON lines with --json-lines.\n\n" +
			"Example:\n   canic-backup backup run --dir backups/fleet-demo-20260512-140000 --plugin ./canic-icp-executor --json-lines",
		Flags: []cli.Flag{
			dirFlag(),
			&cli.StringFlag{Name: "plugin", Usage: "executor plugin binary `FILE`"},
			&cli.StringFlag{Name: "plugin-sha256", Usage: "refuse to start a plugin whose sha256 is not `HEX`"},
			&cli.IntFlag{Name: "max-steps", Usage: "stop after `N` operations (0: no limit); run again to resume"},
			&cli.BoolFlag{Name: "retry-failed", Usage: "retry the operation a previous run left failed"},
			jsonFlag(),
			jsonLinesFlag(),
		},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return backupRun(c, e) },
	}
}

func backupRun(c *cli.Context, e env) error {
	if err := leafArgs(c); err != nil {
		return err
	}
	dir, err := requireFlag(c, "dir")
	if err != nil {
		return err
	}
	plugin, err := requireFlag(c, "plugin")
	if err != nil {
		return err
	}
	if c.Int("max-steps") < 0 {
		return usagef("%s: --max-steps must be >= 0, got %d", commandName(c), c.Int("max-steps"))
	}
	view, err := startProgress(c, e)
	if err != nil {
		return err
	}
	defer view.Finish(nil) //nolint:errcheck // the explicit Finish below reports errors
	p, err := verify.ReadPlan(dir)
	if err != nil {
		return err
	}
	open := e.openExecutor
	if open == nil {
		open = openPlugin
	}
	exec, closeExec, err := open(c.Context, executorSpec{Plugin: plugin, SHA256: c.String("plugin-sha256"), Network: p.Network})
	if err != nil {
		return err
	}
	resp, runErr := runner.Run(c.Context, runner.Config{
		Dir:         dir,
		MaxSteps:    c.Int("max-steps"),
		RetryFailed: c.Bool("retry-failed"),
		Clock:       e.now,
		Observer:    view.Observer(),
	}, exec)
	runErr = errors.Join(runErr, closeExec())
	var result any
	if resp != nil {
		result = resp
	}
	if err := view.Finish(result); err != nil {
		runErr = errors.Join(runErr, err)
	}
	if resp != nil && !view.JSONLines() {
		if c.Bool("json") {
			if err := writeJSON(e.stdout, resp); err != nil {
				return errors.Join(runErr, err)
			}
		} else {
			status := "complete"
			switch {
			case runErr != nil:
				status = "failed"
			case resp.MaxStepsReached:
				status = "paused"
			case !resp.Complete:
				status = "running"
			}
			fmt.Fprintf(e.stdout, "%s %s: %s, %d operations executed, %d/%d completed\n",
				resp.PlanID, resp.RunID, status, resp.ExecutedOperationCount,
				resp.Execution.CompletedOperations, resp.Execution.TotalOperations)
		}
	}
	var failed *runner.FailedOperationError
	if errors.As(runErr, &failed) {
		return fmt.Errorf("%w\nrun `canic-backup backup run --dir %s --plugin %s --retry-failed` to retry it", runErr, dir, plugin)
	}
	if runErr != nil {
		return leftStoppedAttention(dir, runErr)
	}
	return nil
}
