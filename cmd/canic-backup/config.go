package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
)

// configCommand is the `config` command family.
func configCommand(e env) *cli.Command {
	return &cli.Command{
		Name:         "config",
		Usage:        "check and show the canic.toml configuration",
		OnUsageError: onUsageError,
		Action:       familyAction,
		Subcommands: []*cli.Command{
			{
				Name:         "validate",
				Usage:        "check the config file: syntax, unknown keys, types, values and references",
				UsageText:    "canic-backup config validate [--config FILE]",
				Flags:        []cli.Flag{configFlag()},
				OnUsageError: onUsageError,
				Action:       func(c *cli.Context) error { return configValidate(c, e) },
			},
			{
				Name:         "show",
				Usage:        "print the effective config as TOML (defaults filled in, secrets redacted)",
				UsageText:    "canic-backup config show [--config FILE] [--env NAME]",
				Flags:        []cli.Flag{configFlag(), envFlag()},
				OnUsageError: onUsageError,
				Action:       func(c *cli.Context) error { return configShow(c, e) },
			},
		},
	}
}

func configValidate(c *cli.Context, e env) error {
	if err := leafArgs(c); err != nil {
		return err
	}
	cfg, err := loadConfig(c, e)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: ok (%d environments, %d executors)\n", cfg.Path, len(cfg.Environments), len(cfg.Executors))
	return nil
}

func configShow(c *cli.Context, e env) error {
	if err := leafArgs(c); err != nil {
		return err
	}
	cfg, err := loadConfig(c, e)
	if err != nil {
		return err
	}
	var only *config.Environment
	// Only --env narrows the output; $CANIC_BACKUP_ENV and
	// default_environment are shown as part of the file.
	if c.String("env") != "" {
		envr, _, err := cfg.Select(c.String("env"), e.lookup())
		if err != nil {
			return err
		}
		only = &envr
	}
	out, err := cfg.Render(only)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "# effective config from %s (defaults filled in, secrets redacted)\n", cfg.Path)
	if v := e.getenv(config.EnvEnvironment); v != "" && only == nil {
		fmt.Fprintf(e.stdout, "# $%s = %q selects the environment\n", config.EnvEnvironment, v)
	}
	_, err = e.stdout.Write(out)
	return err
}
