package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/core/backup"
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
			&cli.BoolFlag{Name: "no-restart-on-failure", Usage: "leave the canisters a failed run stopped (start them later with `backup recover`)"},
			concurrencyFlag(),
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
	f, err := bindRunFlags(c)
	if err != nil {
		return err
	}
	// Without --concurrency, backup run is canic 0.35.1's: one operation
	// at a time and no downtime record, every file and output as 0.35.1's.
	concurrency, explicit := 1, c.IsSet("concurrency")
	if explicit {
		if concurrency, err = runConcurrency(c, nil); err != nil {
			return err
		}
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
	res, err := backup.Execute(c.Context, backup.ExecOptions{Runner: f.runnerConfig(e, dir, view, concurrency, explicit),
		Executor: exec, Close: closeExec})
	if err != nil {
		return err
	}
	resp, runErr := res.Response, res.RunErr
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
			fmt.Fprintf(e.stdout, "%s %s: %s, %d operations executed, %d/%d completed%s\n",
				resp.PlanID, resp.RunID, status, resp.ExecutedOperationCount,
				resp.Execution.CompletedOperations, resp.Execution.TotalOperations, downtimeNote(resp))
		}
	}
	var failed *runner.FailedOperationError
	var interrupted *runner.InterruptedError
	if errors.As(runErr, &failed) || errors.As(runErr, &interrupted) {
		return fmt.Errorf("%w\nrun `canic-backup backup run --dir %s --plugin %s --retry-failed` to retry it", runErr, dir, plugin)
	}
	if runErr != nil {
		return leftStoppedAttention(dir, runErr)
	}
	return nil
}

// defaultConcurrency is how many operations of a phase run at once when
// neither --concurrency nor the executor's concurrency key says.
const defaultConcurrency = config.DefaultEngineConcurrency

// concurrencyFlag is --concurrency N.
func concurrencyFlag() cli.Flag {
	return &cli.IntFlag{Name: "concurrency", Usage: fmt.Sprintf("run up to `N` operations of a phase at once "+
		"(stops of one depth level, snapshots, starts of one level; downloads separately); 1 runs one at a time as canic 0.35.1 "+
		"(default: the executor's concurrency key, else %d)", defaultConcurrency)}
}

// engineConcurrency is implemented by driver settings that carry a
// concurrency key ([executors.X] concurrency = N).
type engineConcurrency interface{ EngineConcurrency() int }

// runConcurrency is --concurrency when given, else the executor settings'
// concurrency key when set, else defaultConcurrency.
func runConcurrency(c *cli.Context, settings any) (int, error) {
	if c.IsSet("concurrency") {
		n := c.Int("concurrency")
		if n < 1 || n > 64 {
			return 0, usagef("%s: --concurrency must be between 1 and 64, got %d", commandName(c), n)
		}
		return n, nil
	}
	if s, ok := settings.(engineConcurrency); ok && s.EngineConcurrency() > 0 {
		return s.EngineConcurrency(), nil
	}
	return defaultConcurrency, nil
}

// downtimeNote renders the fleet's downtime window of a run, if recorded.
func downtimeNote(resp *runner.Response) string {
	if resp == nil || resp.Downtime == nil || resp.Downtime.Fleet == nil {
		return ""
	}
	return fmt.Sprintf(", fleet downtime %s", resp.Downtime.Duration())
}
