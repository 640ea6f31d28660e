package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
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
				Usage:        "check the config file: syntax, unknown keys, types, values and references",
				UsageText:    "canic-backup config validate [--config FILE]",
				Description:  "Example:\n   canic-backup config validate --config canic.toml",
				Flags:        []cli.Flag{configFlag()},
				OnUsageError: onUsageError,
				Action:       func(c *cli.Context) error { return configValidate(c, e) },
			},
			{
				Name:         "show",
				Usage:        "print the effective config as TOML (defaults filled in, secrets redacted)",
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

// simConfigTOML is the canic.toml `sim start` writes beside sim.json:
// environment "sim" (the agent driver) and "sim-icp" (the dfx driver in
// its icp flavor), both signing with the simulator's controller PEM (its
// path; the key itself stays in its file).
func simConfigTOML(info sim.Info, fleet string) string {
	q := strconv.Quote
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by `canic-backup sim start` for the simulator at %s.\n", info.URL)
	b.WriteString("# Use it with: canic-backup backup create --config THIS_FILE --env sim\n")
	b.WriteString("version = 1\ndefault_environment = \"sim\"\n")
	for _, env := range [][2]string{{"sim", "sim-agent"}, {"sim-icp", "sim-icp"}} {
		fmt.Fprintf(&b, "\n[environments.%s]\nnetwork = \"local\"\nroot = %s\nexecutor = %s\nfleet = %s\n",
			env[0], q(info.RootCanisterID), q(env[1]), q(fleet))
	}
	fmt.Fprintf(&b, "\n[executors.sim-agent]\ndriver = \"agent\"\nurl = %s\nroot_key = %s\nidentity_pem = %s\n",
		q(info.URL), q(info.RootKeyHex), q(info.ControllerPEM))
	fmt.Fprintf(&b, "\n[executors.sim-icp]\ndriver = \"dfx\"\nflavor = \"icp\"\nnetwork = %s\nroot_key = %s\nidentity_pem = %s\n",
		q(info.URL), q(info.RootKeyHex), q(info.ControllerPEM))
	return b.String()
}
