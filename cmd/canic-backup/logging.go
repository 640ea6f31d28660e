package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/progress"
)

// Global flags of the logging and progress output.
const (
	flagLogFormat = "log-format"
	flagVerbose   = "verbose"
	flagJSONLines = "json-lines"
)

// logFlags are the global --log-format and --verbose flags (given before
// the command).
func logFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagLogFormat, Value: "text", Usage: "log line format on stderr: `text` or json"},
		&cli.BoolFlag{Name: flagVerbose, Aliases: []string{"v"}, Usage: "also log debug lines (operations as they start)"},
	}
}

// jsonLinesFlag is --json-lines on the commands that run operations.
func jsonLinesFlag() cli.Flag {
	return &cli.BoolFlag{Name: flagJSONLines, Usage: "stream progress events as JSON, one object a line, each with a \"type\"; the last is the result"}
}

// slogLogger returns the structured logger of the command line: text or
// JSON on e.stderr, info level (debug with --verbose).
func slogLogger(c *cli.Context, e env) (*slog.Logger, error) {
	level := slog.LevelInfo
	if c.Bool(flagVerbose) {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	switch format := c.String(flagLogFormat); strings.ToLower(format) {
	case "", "text":
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
	default:
		return nil, usagef("--%s must be text or json, got %q", flagLogFormat, format)
	}
}

// runView is the progress output of one command that runs operations
// (backup run/create/resume, restore run). Use it as:
//
//	view, err := startProgress(c, e)
//	...
//	resp, runErr := runner.Run(ctx, runner.Config{..., Observer: view.Observer()}, exec)
//	if err := view.Finish(resp); err != nil { ... }
//	if !view.JSONLines() { print the usual text or --json output }
//
// On a terminal (stderr) it draws a live view; off a terminal it logs one
// line per finished operation; with --json-lines it streams events on
// stdout and ends with {"type":"result","result":<resp>}, and the command
// must print nothing else on stdout.
type runView struct {
	r         progress.Renderer
	jsonLines bool
	finished  bool
}

// startProgress returns the progress view the command line asks for.
// --json with --json-lines is a usage error.
func startProgress(c *cli.Context, e env) (*runView, error) {
	jsonLines := c.Bool(flagJSONLines)
	if jsonLines && c.Bool("json") {
		return nil, usagef("%s: --json and --json-lines cannot be combined", commandName(c))
	}
	log, err := slogLogger(c, e)
	if err != nil {
		return nil, err
	}
	r := progress.New(progress.Options{
		Stdout: e.stdout, Stderr: e.stderr, Logger: log,
		JSONLines: jsonLines, Terminal: e.terminal(),
	})
	return &runView{r: r, jsonLines: jsonLines}, nil
}

// Observer is the backup runner's hook into the view.
func (v *runView) Observer() runner.Observer { return progress.Backup(v.r) }

// Renderer is the view, for runs that are not backup runs (restore): send
// it progress.Events.
func (v *runView) Renderer() progress.Renderer { return v.r }

// JSONLines reports whether the view owns stdout (--json-lines).
func (v *runView) JSONLines() bool { return v.jsonLines }

// Finish ends the view: it prints result as the last JSON line (when
// streaming; result may be nil when the run produced none) and stops the
// live view. It is safe to call more than once.
func (v *runView) Finish(result any) error {
	if v.finished {
		return nil
	}
	v.finished = true
	var err error
	if v.jsonLines && result != nil {
		err = v.r.Result(result)
	}
	if cerr := v.r.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("progress output: %w", cerr))
	}
	return err
}

// terminal reports whether e.stderr is a terminal (where the live view
// goes).
func (e env) terminal() bool { return progress.IsTerminal(e.stderr) }
