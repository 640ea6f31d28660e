package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/restore/usecase"
	"github.com/canic-backup/canic-backup/internal/termsafe"
)

// restoreRunCommand is `restore run`: preview, execute, or recover the apply
// journal through the environment's executor.
func restoreRunCommand(e env, open openRestoreExecutor) *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "preview, execute or recover a restore apply journal",
		UsageText: "canic-backup restore run --journal FILE (--dry-run | --execute [--max-steps N] | --unclaim-pending | --retry-failed)\n" +
			"   [--require-complete] [--require-no-attention] [--env NAME] [--network NAME] [--icp PATH] [--out FILE] [--json]\n" +
			"   [--store NAME [--backup NAME] [--keep-fetched]]",
		Description: "With --execute and --store, the backup's documents are fetched into the journal's backup directory\n" +
			"(backup_root) first, and each upload's artifact is fetched there from the store just before the upload\n" +
			"(each object's SHA-256 checked while it streams, the artifact's checksum against the manifest; files\n" +
			"already there intact are kept) and removed once uploaded unless --keep-fetched (an upload that fails keeps\n" +
			"it for the retry), so the restore needs local disk for the artifact in flight only. Only artifacts this\n" +
			"command fetched are removed; their list is kept in JOURNAL.fetched until they are, so a run that crashed\n" +
			"cleans up or reuses them next time.\n" +
			"An artifact that cannot be fetched fails its upload (status fetch-failed). A line `fetched K objects\n" +
			"(X MiB) from STORE in Ys` goes to stderr at the end. Backup NAME defaults to backup_root's base name, as\n" +
			"`restore apply --store` lays it out.\n\n" +
			"Examples:\n" +
			"   canic-backup restore run --journal restore-journal.json --dry-run\n" +
			"   canic-backup restore run --journal restore-journal.json --execute --env local --require-complete\n" +
			"   canic-backup restore run --journal restore-journal.json --execute --env local --store offsite",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "journal", Usage: "apply journal `FILE` (from restore apply --journal-out)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "show the next operation and its command; changes nothing"},
			&cli.BoolFlag{Name: "execute", Usage: "run operations through the environment's executor"},
			&cli.BoolFlag{Name: "unclaim-pending", Usage: "release an operation a crashed or interrupted run left pending"},
			&cli.BoolFlag{Name: "retry-failed", Usage: "make the failed operation ready again (after fixing its cause)"},
			&cli.IntFlag{Name: "max-steps", Usage: "with --execute, stop after `N` operations (N >= 1)"},
			&cli.BoolFlag{Name: "require-complete", Usage: "fail unless the journal is complete afterwards"},
			&cli.BoolFlag{Name: "require-no-attention", Usage: "fail if the journal needs attention (pending, failed or blocked)"},
			configFlag(),
			envFlag(),
			&cli.StringFlag{Name: "network", Usage: "network `NAME` shown in previewed icp commands (-n NAME) when no executor renders them"},
			&cli.StringFlag{Name: "icp", Usage: "program `PATH` shown in previewed icp commands", Value: "icp"},
			&cli.StringFlag{Name: "out", Usage: "write the summary JSON to `FILE`"},
			jsonFlag(),
			storeFlag(),
			backupFlag(),
			&cli.BoolFlag{Name: "keep-fetched", Usage: "with --store, keep each artifact fetched for its upload in backup_root (default: removed once uploaded)"},
		},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return restoreRun(c, e, open) },
	}
}

func restoreRunMode(c *cli.Context) (restore.Mode, error) {
	var modes []restore.Mode
	for flag, m := range map[string]restore.Mode{
		"dry-run": restore.ModeDryRun, "execute": restore.ModeExecute,
		"unclaim-pending": restore.ModeUnclaimPending, "retry-failed": restore.ModeRetryFailed,
	} {
		if c.Bool(flag) {
			modes = append(modes, m)
		}
	}
	if len(modes) != 1 {
		return "", usagef("%s: exactly one of --dry-run, --execute, --unclaim-pending or --retry-failed is required", commandName(c))
	}
	return modes[0], nil
}

func restoreRun(c *cli.Context, e env, open openRestoreExecutor) error {
	if err := leafArgs(c); err != nil {
		return err
	}
	journal, err := requireFlag(c, "journal")
	if err != nil {
		return err
	}
	mode, err := restoreRunMode(c)
	if err != nil {
		return err
	}
	if c.IsSet("max-steps") && c.Int("max-steps") < 1 {
		return usagef("%s: --max-steps must be a positive integer, got %d", commandName(c), c.Int("max-steps"))
	}
	resp, runErr := usecase.Run(c.Context, usecase.RunOptions{
		Runner: restore.RunOptions{
			Journal:     journal,
			Mode:        mode,
			MaxSteps:    c.Int("max-steps"),
			Preview:     restore.IcpPreview{Program: c.String("icp"), Network: c.String("network")},
			Clock:       clockOf(e),
			LockCommand: "canic-backup restore run --journal " + journal + " --" + string(mode),
		},
		Env:  c.String("env"),
		Open: open,
		Preflight: func(ctx context.Context, ex restore.RestoreExecutor) error {
			return restoreCyclesPreflight(ctx, ex, journal, c.String("network"))
		},
		OpenSource:  restoreRunSource(c, e),
		KeepFetched: c.Bool("keep-fetched"),
		Progress:    restoreProgress(e),
	})
	if resp != nil {
		if err := writeRunSummary(c, e, resp); err != nil {
			return err
		}
	}
	if runErr != nil {
		var ce *restore.CommandError
		if errors.As(runErr, &ce) && errors.Is(runErr, restore.CodeCommandFailed) {
			// The journal's error names the status; the executor's own
			// words (a full snapshot slot, a refused call) go to stderr.
			fmt.Fprintf(e.stderr, "executor: %s\n", termsafe.Escape(restore.ExecutorMessage(ce)))
		}
		if errors.Is(runErr, restore.CodeArtifactChecksum) || errors.Is(runErr, restore.CodeArtifactBinding) {
			return verifyFailed(runErr)
		}
		return restoreExit(runErr)
	}
	if c.Bool("require-complete") {
		if err := usecase.RequireComplete(resp); err != nil {
			return err
		}
	}
	if c.Bool("require-no-attention") {
		return usecase.RequireNoAttention(resp)
	}
	return nil
}

// writeRunSummary writes the summary to --out, and to stdout as JSON
// (--json) or as a short text.
func writeRunSummary(c *cli.Context, e env, resp *restore.RunResponse) error {
	if out := c.String("out"); out != "" {
		if err := writeDocument(e.stdout, out, resp); err != nil {
			return err
		}
	}
	if c.Bool("json") {
		return writeJSON(e.stdout, resp)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "restore %s (%s): %s, next: %s; %d/%d operations completed",
		resp.BackupID, resp.RunMode, resp.StoppedReason, resp.NextAction, resp.CompletedOperations, resp.OperationCount)
	if resp.ExecutedOperationCount != nil {
		fmt.Fprintf(&b, ", %d executed now", *resp.ExecutedOperationCount)
	}
	b.WriteString("\n")
	if nt := resp.NextTransition; nt != nil {
		fmt.Fprintf(&b, "  next: #%d %s %s (%s)\n", nt.Sequence, nt.Operation, nt.TargetCanister, nt.State)
	}
	if resp.Command != nil {
		fmt.Fprintf(&b, "  command: %s %s\n", resp.Command.Program, strings.Join(resp.Command.Args, " "))
	}
	_, err := fmt.Fprint(e.stdout, b.String())
	return err
}
