package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/restore/usecase"
)

// openRestoreExecutor returns the RestoreExecutor of an environment and its
// closer; nil means "none configured".
type openRestoreExecutor = usecase.ExecutorOpener

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

// restoreProgress renders the restore use cases' events on stderr (stdout
// may carry the command's JSON).
func restoreProgress(e env) usecase.Progress {
	return func(ev usecase.Event) {
		switch ev := ev.(type) {
		case usecase.Fetched:
			rep := ev.Report
			line := fmt.Sprintf("fetched %d objects (%.1f MiB) from %s in %s", rep.Objects, float64(rep.Bytes)/(1<<20), ev.Store, ev.Took.Round(time.Millisecond))
			if kept := rep.Objects - rep.Downloaded; kept > 0 && rep.Downloaded >= 0 {
				line += fmt.Sprintf(" (%d of them already present)", kept)
			}
			fmt.Fprintln(e.stderr, line)
		case usecase.Checked:
			fmt.Fprintf(e.stderr, "checked %d artifacts (%d objects, %.1f MiB) in %s by streaming in %s\n",
				ev.Artifacts, ev.Objects, float64(ev.Bytes)/(1<<20), ev.Store, ev.Took.Round(time.Millisecond))
		case usecase.RemoveFailed:
			fmt.Fprintf(e.stderr, "warning: restore run: could not remove a fetched artifact from %s: %v\n", ev.Dir, ev.Err)
		}
	}
}

// restoreExit gives a failed verification of the restore use cases exit 3.
func restoreExit(err error) error {
	var vf *usecase.VerificationFailed
	if errors.As(err, &vf) {
		return verifyFailed(err)
	}
	return err
}
