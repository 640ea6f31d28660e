package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/verify"
)

// restorePlanCommand is `restore plan`: map, order and summarize a backup
// for restore. Nothing is changed anywhere.
func restorePlanCommand(e env) *cli.Command {
	return &cli.Command{
		Name:        "plan",
		Usage:       "build a no-mutation restore plan from a backup",
		UsageText:   "canic-backup restore plan (--backup-dir DIR | --manifest FILE) [--mapping FILE] [--out FILE] [--require-verified] [--require-restore-ready]",
		Description: "Example:\n   canic-backup restore plan --backup-dir backups/fleet-demo-20260512-140000 --mapping mapping.json --require-verified --out restore-plan.json",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "backup-dir", Usage: "backup directory `DIR` (reads its fleet-backup-manifest.json)"},
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
		if c.Bool("require-verified") {
			if _, err := verify.Layout(c.Context, dir); err != nil {
				return verifyFailed(err)
			}
		}
		var err error
		if m, err = verify.ReadManifest(dir); err != nil {
			return err
		}
	} else {
		data, err := os.ReadFile(file)
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
