package progress

import (
	"io"
	"log/slog"
	"os"

	"github.com/mattn/go-isatty"

	"github.com/canic-backup/canic-backup/core/runner"
)

// Renderer shows a run's events. Event is called from one goroutine at a
// time; Close flushes and stops the view and must be called once, after
// the last event.
type Renderer interface {
	// Event shows e.
	Event(e Event)
	// Result ends the output with the command's result document v (only
	// the JSON-lines renderer prints it; the others ignore it).
	Result(v any) error
	// Close stops the view.
	Close() error
}

// Backup adapts r to the backup runner's Observer hook.
func Backup(r Renderer) runner.Observer {
	return runner.ObserverFunc(func(e runner.Event) { r.Event(FromRunner(e)) })
}

// Options chooses and configures a renderer.
type Options struct {
	// Stdout receives the JSON-lines stream.
	Stdout io.Writer
	// Stderr receives the live view.
	Stderr io.Writer
	// Logger receives the log lines off a terminal (and nothing else).
	Logger *slog.Logger
	// JSONLines streams events to Stdout.
	JSONLines bool
	// Terminal says Stderr is a terminal: show the live view.
	Terminal bool
}

// New returns the renderer Options call for: JSON lines on Stdout when
// asked, else the live view when Stderr is a terminal, else log lines.
func New(o Options) Renderer {
	switch {
	case o.JSONLines:
		return NewJSONLines(o.Stdout)
	case o.Terminal:
		return NewLive(o.Stderr)
	default:
		return NewLog(o.Logger)
	}
}

// IsTerminal reports whether w is a terminal (a character device that
// answers terminal ioctls).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return isatty.IsTerminal(f.Fd())
}
