package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/internal/simfleet"
	"github.com/canic-backup/canic-backup/sim"
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
				Usage:        "check the config file: syntax, unknown keys, types, values and references (stores too)",
				UsageText:    "canic-backup config validate [--config FILE]",
				Description:  "Example:\n   canic-backup config validate --config canic.toml",
				Flags:        []cli.Flag{configFlag()},
				OnUsageError: onUsageError,
				Action:       func(c *cli.Context) error { return configValidate(c, e) },
			},
			{
				Name:         "show",
				Usage:        "print the effective config as TOML (defaults filled in, secrets redacted; --env narrows it to that environment, its executor and store)",
				UsageText:    "canic-backup config show [--config FILE] [--env NAME]",
				Description:  "Example:\n   canic-backup config show --config canic.toml --env local",
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
	stores := ""
	if n := len(cfg.Stores); n > 0 {
		stores = fmt.Sprintf(", %d stores", n)
	}
	fmt.Fprintf(e.stdout, "%s: ok (%d environments, %d executors%s)\n", cfg.Path, len(cfg.Environments), len(cfg.Executors), stores)
	for _, n := range cfg.StoreNames() {
		var users []string
		for _, en := range cfg.EnvironmentNames() {
			if cfg.Environments[en].Store == n {
				users = append(users, en)
			}
		}
		used := ""
		if len(users) > 0 {
			used = " (store of " + strings.Join(users, ", ") + ")"
		}
		fmt.Fprintf(e.stdout, "store %s: %s%s\n", n, cfg.Stores[n].Describe(), used)
	}
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
	if v := e.getenv(envStore); v != "" {
		fmt.Fprintf(e.stdout, "# $%s = %q selects the store (over the environment's store key)\n", envStore, v)
	}
	if len(cfg.Stores) > 0 {
		fmt.Fprintln(e.stdout, "# s3 stores take credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the AWS credentials file, never from this file")
	}
	_, err = e.stdout.Write(out)
	return err
}

// simConfigTOML is the canic.toml `sim start` writes beside sim.json
// (internal/simfleet, shared with the demo and the tests).
func simConfigTOML(info sim.Info, fleet string) string {
	return simfleet.ConfigTOML(info, fleet, simfleet.ConfigOptions{})
}
