package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/manifest"
)

// manifestValidateCommand is `manifest validate`.
func manifestValidateCommand(e env) *cli.Command {
	return &cli.Command{
		Name:        "validate",
		Usage:       "validate a fleet backup manifest",
		UsageText:   "canic-backup manifest validate --manifest FILE [--json]",
		Description: "Example:\n   canic-backup manifest validate --manifest backups/fleet-demo-20260512-140000/fleet-backup-manifest.json",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "manifest", Usage: "manifest `FILE` (fleet-backup-manifest.json)"},
			jsonFlag(),
		},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return manifestValidate(c, e) },
	}
}

func manifestValidate(c *cli.Context, e env) error {
	if err := leafArgs(c); err != nil {
		return err
	}
	file, err := requireFlag(c, "manifest")
	if err != nil {
		return err
	}
	data, err := layout.ReadDocument(file, layout.MaxDocumentSize)
	if err != nil {
		return fmt.Errorf("read manifest: %w", err)
	}
	m, err := manifest.DecodeValid(data)
	if err != nil {
		return verifyFailed(fmt.Errorf("%s: %w", file, err))
	}
	summary := m.Summary()
	if c.Bool("json") {
		return writeJSON(e.stdout, summary)
	}
	fmt.Fprintf(e.stdout, "manifest %s is valid: backup %s, %d members, %d backup units\n",
		file, summary.BackupID, summary.Members, summary.BackupUnitCount)
	return nil
}
