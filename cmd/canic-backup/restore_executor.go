package main

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/pluginapi/host"
)

// restoreFlagsKey carries `restore run`'s --config to the executor opener,
// whose hook signature only passes the environment's name.
type restoreFlagsKey struct{}

// restoreCommandWithExecutors is the `restore` family with `restore run
// --execute` drawing its executor from the config (--config, --env).
func restoreCommandWithExecutors(e env) *cli.Command {
	cmd := newRestoreCommand(e, configRestoreOpener(e))
	for _, sub := range cmd.Subcommands {
		if sub.Name != "run" {
			continue
		}
		prev := sub.Before
		sub.Before = func(c *cli.Context) error {
			c.Context = context.WithValue(c.Context, restoreFlagsKey{}, c.String("config"))
			if prev != nil {
				return prev(c)
			}
			return nil
		}
	}
	return cmd
}

// configRestoreOpener opens the executor of an environment of the config
// as a restore.RestoreExecutor.
func configRestoreOpener(e env) openRestoreExecutor {
	return func(ctx context.Context, envName string) (restore.RestoreExecutor, func() error, error) {
		flag, _ := ctx.Value(restoreFlagsKey{}).(string)
		path, _, err := config.FindFile(flag, e.lookup())
		if err != nil {
			return nil, nil, err
		}
		cfg, err := config.LoadFile(path, builtinDrivers())
		if err != nil {
			return nil, nil, err
		}
		envr, _, err := cfg.Select(envName, e.lookup())
		if err != nil {
			return nil, nil, err
		}
		ex, err := cfg.ExecutorOf(envr)
		if err != nil {
			return nil, nil, err
		}
		a, closeFn, err := e.launcher().Open(ctx, ex, envr.Network)
		if err != nil {
			return nil, nil, err
		}
		return a.Restore(), closeFn, nil
	}
}

// newRestoreAdapter adapts a started executor for a restore on network.
func newRestoreAdapter(ex pluginapi.Executor, name, network string) host.Restorer {
	return host.New(ex, name, network).Restore()
}

// restoreCyclesPreflight is host.RestoreCyclesPreflight.
func restoreCyclesPreflight(ctx context.Context, ex restore.RestoreExecutor, journalPath, network string) error {
	return host.RestoreCyclesPreflight(ctx, ex, journalPath, network)
}
