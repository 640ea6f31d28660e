package main

import (
	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/restore/usecase"
)

// restorePlanCommand is `restore plan`: map, order and summarize a backup
// for restore. Nothing is changed anywhere.
func restorePlanCommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "plan",
		Usage: "build a no-mutation restore plan from a backup",
		UsageText: "canic-backup restore plan (--backup-dir DIR | --manifest FILE | --store NAME --backup NAME [--backup-dir DIR] [--config FILE])\n" +
			"   [--mapping FILE] [--out FILE] [--require-verified] [--require-restore-ready]",
		Description: "With --store, the backup NAME is read from the artifact store: a dir store's <path>/NAME is planned in place;\n" +
			"from a remote store the documents are fetched (SHA-256 checked) into --backup-dir, default\n" +
			"<user cache dir>/canic-backup/fetch/<store>/NAME, and --require-verified verifies the stored backup by\n" +
			"streaming every object. `restore apply --store` then fetches the artifacts into the same directory.\n\n" +
			"Examples:\n   canic-backup restore plan --backup-dir backups/fleet-demo-20260512-140000 --mapping mapping.json --require-verified --out restore-plan.json\n" +
			"   canic-backup restore plan --store offsite --backup fleet-demo-20260512-140000 --require-verified --out restore-plan.json",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "backup-dir", Usage: "backup directory `DIR` (reads its fleet-backup-manifest.json); with --store, where the backup is fetched"},
			storeFlag(),
			backupFlag(),
			configFlag(),
			&cli.StringFlag{Name: "manifest", Usage: "manifest `FILE` (instead of --backup-dir)"},
			&cli.StringFlag{Name: "mapping", Usage: "mapping `FILE` of source to target canisters (must list every member); default: restore in place"},
			&cli.StringFlag{Name: "out", Usage: "write the plan to `FILE` instead of stdout"},
			&cli.BoolFlag{Name: "require-verified", Usage: "verify the backup layout (journal, artifacts, checksums) first; needs --backup-dir"},
			&cli.BoolFlag{Name: "require-restore-ready", Usage: "fail (after writing the plan) unless the plan is restore-ready"},
		},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return restorePlan(c, e) },
	}
}

func restorePlan(c *cli.Context, e env) error {
	if err := leafArgs(c); err != nil {
		return err
	}
	dir, file := c.String("backup-dir"), c.String("manifest")
	if restoreStoreWanted(c) && file != "" {
		return usagef("%s: --manifest and --store exclude each other", commandName(c))
	}
	src, err := restoreSourceOf(c, e)
	if err != nil {
		return err
	}
	if src != nil {
		dir = src.Dir
	}
	switch {
	case dir == "" && file == "":
		return usagef("%s: one of --backup-dir or --manifest is required", commandName(c))
	case dir != "" && file != "":
		return usagef("%s: --backup-dir and --manifest exclude each other", commandName(c))
	case c.Bool("require-verified") && dir == "":
		return usagef("%s: --require-verified requires --backup-dir", commandName(c))
	}
	p, err := usecase.Plan(c.Context, usecase.PlanOptions{
		BackupDir: dir, Manifest: file, Source: src, Mapping: c.String("mapping"),
		RequireVerified: c.Bool("require-verified"), Progress: restoreProgress(e),
	})
	if err != nil {
		return restoreExit(err)
	}
	if err := writeDocument(e.stdout, c.String("out"), p); err != nil {
		return err
	}
	if c.Bool("require-restore-ready") {
		return usecase.RequireReady(p)
	}
	return nil
}
