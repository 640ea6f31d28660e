package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/pluginapi"
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
		client, err := startClient(ctx, e, ex)
		if err != nil {
			return nil, nil, err
		}
		return newRestoreAdapter(client, client.Name(), envr.Network), client.Close, nil
	}
}

// restoreAdapter adapts a pluginapi.Executor to restore.RestoreExecutor.
type restoreAdapter struct {
	exec    pluginapi.Executor
	name    string
	network string
}

var _ restore.RestoreExecutor = (*restoreAdapter)(nil)

func newRestoreAdapter(ex pluginapi.Executor, name, network string) *restoreAdapter {
	return &restoreAdapter{exec: ex, name: name, network: network}
}

func (a *restoreAdapter) target(id string) pluginapi.Target {
	return pluginapi.Target{Network: a.network, CanisterID: id}
}

// CommandPreview implements restore.Previewer: the icp-shaped rendering of
// the call, with the executor's name as the program.
func (a *restoreAdapter) CommandPreview(op restore.CommandOp) restore.Argv {
	return restore.IcpPreview{Program: a.name, Network: a.network}.Render(op)
}

// restoreError classifies a plugin failure for the restore journal: a
// definite failure (the executor answered with a code) is a
// *restore.CommandError with the code as its status; a plugin process that
// died, a transient failure or a cancellation leaves the outcome unknown,
// so the error is returned as is and the operation stays pending.
func restoreError(err error) error {
	if err == nil {
		return nil
	}
	var exit *pluginapi.ExitError
	if errors.As(err, &exit) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	code := pluginapi.CodeOf(err)
	// Transient, rate limited (never sent) and unknown outcomes are not
	// definite: the operation stays pending on disk, to be resumed with
	// --unclaim-pending and --execute (uploads find their intent again).
	if code == pluginapi.CodeTransient || code == pluginapi.CodeRateLimited || code == pluginapi.CodeUnknown {
		return err
	}
	return &restore.CommandError{Status: string(code), Err: codeOnce{err}}
}

// UploadSnapshot implements restore.RestoreExecutor.
func (a *restoreAdapter) UploadSnapshot(ctx context.Context, target, dir string) (string, error) {
	res, err := a.exec.UploadSnapshot(ctx, a.target(target), dir, nil)
	if err != nil {
		return "", restoreError(err)
	}
	if res.SnapshotID == "" {
		return "", &restore.CommandError{Status: string(pluginapi.CodeInternal),
			Err: fmt.Errorf("executor %q: upload to %s returned no snapshot id", a.name, target)}
	}
	return res.SnapshotID, nil
}

// ListSnapshots implements restore.SnapshotCleaner.
func (a *restoreAdapter) ListSnapshots(ctx context.Context, target string) ([]string, error) {
	infos, err := a.exec.ListSnapshots(ctx, a.target(target))
	if err != nil {
		return nil, restoreError(err)
	}
	ids := make([]string, len(infos))
	for i, s := range infos {
		ids[i] = s.ID
	}
	return ids, nil
}

// DeleteSnapshot implements restore.SnapshotCleaner.
func (a *restoreAdapter) DeleteSnapshot(ctx context.Context, target, snapshotID string) error {
	return restoreError(a.exec.DeleteSnapshot(ctx, a.target(target), snapshotID))
}

// StopCanister implements restore.RestoreExecutor.
func (a *restoreAdapter) StopCanister(ctx context.Context, target string) error {
	return restoreError(a.exec.StopCanister(ctx, a.target(target)))
}

// StartCanister implements restore.RestoreExecutor.
func (a *restoreAdapter) StartCanister(ctx context.Context, target string) error {
	return restoreError(a.exec.StartCanister(ctx, a.target(target)))
}

// LoadSnapshot implements restore.RestoreExecutor.
func (a *restoreAdapter) LoadSnapshot(ctx context.Context, target, snapshotID string) error {
	return restoreError(a.exec.LoadSnapshot(ctx, a.target(target), snapshotID))
}

// CanisterStatus implements restore.RestoreExecutor.
func (a *restoreAdapter) CanisterStatus(ctx context.Context, target string) (string, string, error) {
	st, err := a.exec.CanisterStatus(ctx, a.target(target))
	if err != nil {
		return "", "", restoreError(err)
	}
	return string(st.Status), st.ModuleHash, nil
}

// codeOnce renders a plugin error without the code its CommandError's
// status already names (see commandMessage) and unwraps to it, so
// errors.Is/As still see the plugin error.
type codeOnce struct{ err error }

func (c codeOnce) Error() string { return commandMessage(c.err) }
func (c codeOnce) Unwrap() error { return c.err }
