package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/restore"
)

// openRestoreExecutor returns the RestoreExecutor of an environment and its
// closer. The integration engineer wires executors from the TOML config;
// until then nil means "none configured".
type openRestoreExecutor func(ctx context.Context, envName string) (restore.RestoreExecutor, func() error, error)

// restoreCommand is the `restore` command family.
func restoreCommand(e env) *cli.Command {
	return newRestoreCommand(e, nil)
}

// newRestoreCommand builds the family with open as `restore run`'s source
// of executors (nil: none configured).
func newRestoreCommand(e env, open openRestoreExecutor) *cli.Command {
	return &cli.Command{
		Name:         "restore",
		Usage:        "plan, apply and run snapshot restores",
		OnUsageError: onUsageError,
		Action:       familyAction,
		Subcommands: []*cli.Command{
			restorePlanCommand(e),
			restoreApplyCommand(e),
			restoreRunCommand(e, open),
		},
	}
}

// writeDocument writes v to the --out file (atomically, no trailing
// newline) or, when out is empty, to w as pretty JSON and a newline.
func writeDocument(w io.Writer, out string, v any) error {
	if out == "" {
		return writeJSON(w, v)
	}
	if err := layout.WriteJSONAtomic(out, v); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}

// restoreClock adapts the env's clock to timestamp.Clock.
type restoreClock func() time.Time

// Now implements timestamp.Clock.
func (f restoreClock) Now() time.Time { return f() }

func clockOf(e env) restoreClock {
	if e.now == nil {
		return time.Now
	}
	return e.now
}
