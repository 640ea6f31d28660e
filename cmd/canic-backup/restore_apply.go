package main

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/restore/usecase"
)

// restoreApplyCommand is `restore apply --dry-run`: render the operations
// of a plan, validate its artifacts, and write the initial apply journal.
func restoreApplyCommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "apply",
		Usage: "render a plan's restore operations, validate its artifacts and write the apply journal",
		UsageText: "canic-backup restore apply --plan FILE [--backup-dir DIR | --store NAME --backup NAME [--backup-dir DIR] [--config FILE]]\n" +
			"   --dry-run [--out FILE] [--journal-out FILE]",
		Description: "With --store, the backup's documents are fetched from the store's backup NAME into --backup-dir\n" +
			"(default <user cache dir>/canic-backup/fetch/<store>/NAME, as `restore plan --store` used) and the artifacts of\n" +
			"the plan's members are checked by streaming them from the store, not downloaded: each object's SHA-256 and each\n" +
			"artifact's checksum against the manifest and the plan. The journal is the one a full local copy in that directory\n" +
			"gives; `restore run --store` fetches each artifact there just before its upload. Lines `fetched K objects (X MiB)\n" +
			"from STORE in Ys` and `checked K artifacts (N objects, X MiB) in STORE by streaming in Ys` go to stderr.\n" +
			"A dir store's <path>/NAME is used in place.\n\n" +
			"Examples:\n   canic-backup restore apply --plan restore-plan.json --backup-dir backups/fleet-demo-20260512-140000 --dry-run --journal-out restore-journal.json\n" +
			"   canic-backup restore apply --plan restore-plan.json --store offsite --backup fleet-demo-20260512-140000 --dry-run --journal-out restore-journal.json",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "plan", Usage: "restore plan `FILE`"},
			&cli.StringFlag{Name: "backup-dir", Usage: "backup directory `DIR`: resolve, find and checksum every artifact (a journal without it is blocked); with --store, where the artifacts are fetched"},
			storeFlag(),
			backupFlag(),
			configFlag(),
			&cli.StringFlag{Name: "out", Usage: "write the dry-run to `FILE` instead of stdout"},
			&cli.StringFlag{Name: "journal-out", Usage: "write the initial apply journal to `FILE` (never overwrites one)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "required: apply renders; `restore run` executes"},
		},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return restoreApply(c, e) },
	}
}

func restoreApply(c *cli.Context, e env) error {
	if err := leafArgs(c); err != nil {
		return err
	}
	planFile, err := requireFlag(c, "plan")
	if err != nil {
		return err
	}
	if !c.Bool("dry-run") {
		return usagef("%s: --dry-run is required (restore run executes the journal)", commandName(c))
	}
	_, err = usecase.Apply(c.Context, usecase.ApplyOptions{
		Plan: planFile, BackupDir: c.String("backup-dir"), JournalOut: c.String("journal-out"),
		OpenSource: func(context.Context) (*usecase.Source, error) { return restoreSourceOf(c, e) },
		Render:     func(d *restore.DryRun) error { return writeDocument(e.stdout, c.String("out"), d) },
		Progress:   restoreProgress(e),
	})
	return restoreExit(err)
}
