package main

import "github.com/urfave/cli/v2"

// backupCommand is the `backup` command family.
func backupCommand(e env) *cli.Command {
	return &cli.Command{
		Name:         "backup",
		Usage:        "plan, inspect and verify fleet backups",
		OnUsageError: onUsageError,
		Action:       familyAction,
		Subcommands: []*cli.Command{
			backupCreateCommand(e),
			backupResumeCommand(e),
			backupPlanCommand(e),
			backupRunCommand(e),
			backupStatusCommand(e),
			backupVerifyCommand(e),
			backupListCommand(e),
			backupInspectCommand(e),
			backupPruneCommand(e),
			backupRecoverCommand(e),
		},
	}
}

// manifestCommand is the `manifest` command family.
func manifestCommand(e env) *cli.Command {
	return &cli.Command{
		Name:         "manifest",
		Usage:        "validate fleet backup manifests",
		OnUsageError: onUsageError,
		Action:       familyAction,
		Subcommands: []*cli.Command{
			manifestValidateCommand(e),
		},
	}
}

// dirFlag is --dir, the backup directory of read-only commands.
func dirFlag() cli.Flag {
	return &cli.StringFlag{Name: "dir", Usage: "backup directory `DIR`"}
}

// jsonFlag is --json: print the report as JSON instead of text.
func jsonFlag() cli.Flag {
	return &cli.BoolFlag{Name: "json", Usage: "print the report as JSON"}
}
