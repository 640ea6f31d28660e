package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/internal/termsafe"
)

// env is everything the CLI takes from its process: output streams, the
// environment and the clock. Tests build one in memory and run the app
// in-process; nothing is global.
type env struct {
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	now    func() time.Time
	// openExecutor starts `backup run`'s executor; nil means the plugin
	// named on the command line (openPlugin). Tests inject an in-memory one.
	openExecutor openExecutor
	// executable returns the canic-backup binary that serves the built-in
	// drivers as plugin processes; nil means os.Executable. Tests point it
	// at a built binary.
	executable func() (string, error)
}

// osEnv is the env of a real process.
func osEnv() env {
	return env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, now: time.Now}
}

// run executes the command line args (args[0] is the program name) and
// returns the process exit code. Errors are printed to e.stderr.
//
// Everything a command prints on stdout, and the error line, goes through
// termsafe: control and ANSI bytes that came from documents (a canister
// name, a path, an executor's message) are shown escaped, never obeyed by
// the terminal. Stderr is otherwise left alone so the live progress view
// keeps its own escape sequences.
func run(ctx context.Context, args []string, e env) int {
	out := termsafe.NewWriter(e.stdout)
	e.stdout = out
	err := newApp(e).RunContext(ctx, args)
	_ = out.Flush()
	if err != nil {
		fmt.Fprintln(e.stderr, "error:", termsafe.Escape(err.Error()))
	}
	return exitCode(err)
}

// newApp builds the canic-backup command tree writing to e.
func newApp(e env) *cli.App {
	return &cli.App{
		Name:                 "canic-backup",
		Usage:                "back up and restore fleets of Internet Computer canisters",
		Writer:               e.stdout,
		ErrWriter:            e.stderr,
		HideVersion:          true,
		EnableBashCompletion: false,
		// Errors are reported by run, never by os.Exit inside the library.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
		Action:         rootAction(e),
		UsageText:      "canic-backup [--log-format text|json] [--verbose] COMMAND [flags]",
		Description: "Start with `canic-backup backup create --help`. Every command answers --help with an example.\n\n" +
			exitCodesHelp,
		Flags: append(logFlags(), versionFlag()),
		Commands: []*cli.Command{
			backupCommand(e),
			manifestCommand(e),
			restoreCommandWithExecutors(e),
			simCommand(),
			demoCommand(e),
			configCommand(e),
			pluginsCommand(e),
			pluginServeCommand(e),
			completionCommand(e),
			versionCommand(e),
		},
	}
}

// onUsageError turns a flag parse error into a usageError (exit 2).
func onUsageError(c *cli.Context, err error, _ bool) error {
	return &usageError{msg: fmt.Sprintf("%s: %v (see --help)", commandName(c), err)}
}

// familyAction runs when a command that only groups subcommands is called
// without a known subcommand: show its help and fail with a usage error.
func familyAction(c *cli.Context) error {
	if c.Args().Len() == 0 {
		return usagef("%s: a command is required (see --help)", commandName(c))
	}
	return usagef("%s: unknown command %q (see --help)", commandName(c), c.Args().First())
}

// leafArgs rejects positional arguments on commands that take none.
func leafArgs(c *cli.Context) error {
	if c.Args().Len() > 0 {
		return usagef("%s: unexpected argument %q", commandName(c), c.Args().First())
	}
	return nil
}

// requireFlag returns the value of a required string flag or a usageError
// naming it.
func requireFlag(c *cli.Context, name string) (string, error) {
	v := c.String(name)
	if v == "" {
		return "", usagef("%s: required flag --%s is missing", commandName(c), name)
	}
	return v, nil
}

func commandName(c *cli.Context) string {
	if c.Command != nil && c.Command.HelpName != "" {
		return c.Command.HelpName
	}
	return c.App.Name
}
