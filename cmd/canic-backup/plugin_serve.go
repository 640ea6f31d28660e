package main

import (
	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/pluginapi/host"
)

// pluginServeCommand is the hidden `plugin-serve --driver NAME`: the
// canic-backup binary re-executed by itself to serve a built-in driver over
// the same go-plugin boundary as an external plugin (host.ServeBuiltin).
// Settings arrive in $CANIC_BACKUP_DRIVER_SETTINGS.
func pluginServeCommand(e env) *cli.Command {
	return &cli.Command{
		Name:   pluginServeCommandName,
		Usage:  "serve a built-in executor driver as a plugin (started by canic-backup itself)",
		Hidden: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "driver", Usage: "built-in driver `NAME`"},
			&cli.StringFlag{Name: "name", Usage: "executor `NAME` for the log"},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if err := leafArgs(c); err != nil {
				return err
			}
			name, err := requireFlag(c, "driver")
			if err != nil {
				return err
			}
			return host.ServeBuiltin(c.Context, name, c.String("name"), e.getenv(host.EnvDriverSettings), e.getenv(host.EnvLogLevel))
		},
	}
}

// builtinDrivers is the built-in drivers' table for config.Load.
func builtinDrivers() config.Drivers { return host.Drivers() }
