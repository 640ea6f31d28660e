package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/verify"
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
		dir = src.dir
	}
	switch {
	case dir == "" && file == "":
		return usagef("%s: one of --backup-dir or --manifest is required", commandName(c))
	case dir != "" && file != "":
		return usagef("%s: --backup-dir and --manifest exclude each other", commandName(c))
	case c.Bool("require-verified") && dir == "":
		return usagef("%s: --require-verified requires --backup-dir", commandName(c))
	}
	var m *manifest.FleetBackupManifest
	if dir != "" {
		if err := restorePlanSource(c, e, src, dir); err != nil {
			return err
		}
		var err error
		if m, err = verify.ReadManifest(dir); err != nil {
			return err
		}
	} else {
		data, err := layout.ReadDocument(file, layout.MaxDocumentSize)
		if err != nil {
			return fmt.Errorf("read manifest: %w", err)
		}
		if m, err = manifest.Decode(data); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
	}
	var mapping *restore.Mapping
	if f := c.String("mapping"); f != "" {
		var err error
		if mapping, err = restore.ReadMapping(f); err != nil {
			return fmt.Errorf("read mapping: %w", err)
		}
	}
	p, err := restore.BuildPlan(m, mapping)
	if err != nil {
		return err
	}
	if err := writeDocument(e.stdout, c.String("out"), p); err != nil {
		return err
	}
	if c.Bool("require-restore-ready") && !p.ReadinessSummary.Ready {
		return fmt.Errorf("restore plan for backup %s is not restore-ready: reasons=%s: %w",
			p.BackupID, restore.DebugStrings(p.ReadinessSummary.Reasons), restore.CodeNotReady)
	}
	return nil
}

// restorePlanSource prepares the backup directory dir: from a remote store
// it verifies the stored backup (--require-verified, streaming) and fetches
// the documents; otherwise --require-verified verifies dir's layout.
func restorePlanSource(c *cli.Context, e env, src *restoreSource, dir string) error {
	if src == nil || !src.remote() {
		if c.Bool("require-verified") {
			if _, err := verify.Layout(c.Context, dir); err != nil {
				return verifyFailed(err)
			}
		}
		return nil
	}
	if c.Bool("require-verified") {
		if _, err := archive.Verify(c.Context, src.choice.Store, src.name, archive.VerifyOptions{}); err != nil {
			err = fmt.Errorf("verify backup %s in %s: %w", src.name, src.choice.Store, err)
			if restoreIntegrityError(err) {
				return verifyFailed(err)
			}
			return err
		}
	}
	return src.fetch(c.Context, e, "restore plan", nil)
}
