package progress

import (
	"context"
	"log/slog"
)

// Log writes one log line per finished operation (and per restart and
// finished run); started operations are logged at debug level and
// download bytes not at all.
type Log struct {
	log *slog.Logger
}

// NewLog returns a renderer logging to l (nil: discard).
func NewLog(l *slog.Logger) *Log {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &Log{log: l}
}

// Event implements Renderer.
func (l *Log) Event(e Event) {
	ctx := context.Background()
	progress := slog.String("progress", progressText(e))
	switch e.Type {
	case RunStarted:
		l.log.LogAttrs(ctx, slog.LevelDebug, "run started", slog.String("run", e.RunID), slog.Int("targets", len(e.Targets)))
	case OperationStarted:
		l.log.LogAttrs(ctx, slog.LevelDebug, "operation started", opAttrs(e)...)
	case OperationFinished:
		attrs := append(opAttrs(e), progress)
		if e.Outcome == OutcomeFailed {
			l.log.LogAttrs(ctx, slog.LevelError, "operation failed", append(attrs, errAttr(e))...)
			return
		}
		l.log.LogAttrs(ctx, slog.LevelInfo, "operation completed", attrs...)
	case CanisterRestarted:
		l.log.LogAttrs(ctx, slog.LevelWarn, "canister restarted after failure", slog.String("run", e.RunID), slog.String("canister", e.Target))
	case RunFinished:
		if e.Err != nil {
			// No error attribute: the failed operation's line already
			// carried it, and the command's own "error:" line repeats it
			// with the next command to run; a third copy only buries it.
			l.log.LogAttrs(ctx, slog.LevelError, "run stopped", slog.String("run", e.RunID), progress)
			return
		}
		l.log.LogAttrs(ctx, slog.LevelInfo, "run finished", slog.String("run", e.RunID), progress)
	}
}

// Result implements Renderer (nothing to print).
func (l *Log) Result(any) error { return nil }

// Close implements Renderer.
func (l *Log) Close() error { return nil }

func opAttrs(e Event) []slog.Attr {
	attrs := []slog.Attr{
		slog.String("run", e.RunID),
		slog.Uint64("seq", e.Sequence),
		slog.String("phase", e.Phase),
	}
	if e.Target != "" {
		attrs = append(attrs, slog.String("canister", e.Target))
	}
	return attrs
}

func errAttr(e Event) slog.Attr {
	if e.Err == nil {
		return slog.String("error", "")
	}
	return slog.String("error", e.Err.Error())
}
