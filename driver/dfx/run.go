package dfx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/canic-backup/canic-backup/pluginapi"

	"github.com/canic-backup/canic-backup/internal/killpoint"
)

// ErrCommandTimeout is wrapped by the error of a command that outlived its
// deadline (Settings.CommandTimeout or TransferTimeout); it is transient.
var ErrCommandTimeout = errors.New("command timed out")

// lookPath is exec.LookPath; a variable-free indirection for settings.go.
func lookPath(name string) (string, error) { return exec.LookPath(name) }

// CommandEvent reports a command the executor starts or finishes, so a host
// can show which command is running.
type CommandEvent struct {
	// Operation is the executor method, e.g. "CreateSnapshot".
	Operation string
	// Canister is the target canister, empty for commands without one.
	Canister string
	// Command is the command line as shown in logs and errors.
	Command string
	// Done is false when the command starts, true when it has ended.
	Done bool
	// Elapsed is how long the command ran (set when Done).
	Elapsed time.Duration
	// Err is the command's failure (set when Done).
	Err error
}

// Observer receives CommandEvents. It is called from the goroutine that
// runs the command and must not block for long.
type Observer func(CommandEvent)

// CommandError is a command that failed: it could not start, exited
// non-zero, timed out, or printed output the executor could not parse.
type CommandError struct {
	// Command is the command line as displayed (long hex keys shortened).
	Command string
	// ExitStatus is the exit code, -1 when the process did not exit
	// normally (not started, killed).
	ExitStatus int
	// Stderr holds the first lines of stderr (or of stdout when stderr was
	// empty).
	Stderr string
	// Err is the cause: *exec.ExitError, ErrCommandTimeout, a parse error.
	Err error
}

// Error names the command, the exit status, the cause and the first
// stderr lines.
func (e *CommandError) Error() string {
	var b strings.Builder
	b.WriteString("command `" + e.Command + "`")
	if e.ExitStatus >= 0 {
		fmt.Fprintf(&b, " exited with status %d", e.ExitStatus)
	}
	var x *exec.ExitError
	if e.Err != nil && !errors.As(e.Err, &x) {
		b.WriteString(": " + e.Err.Error())
	}
	if e.Stderr != "" {
		b.WriteString(": " + e.Stderr)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *CommandError) Unwrap() error { return e.Err }

// output is what a finished command printed.
type output struct {
	stdout, stderr []byte
	exit           int
}

// runner runs the CLI's commands.
type runner struct {
	bin      string
	dir      string
	env      []string
	sem      chan struct{}
	maxOut   int
	errLines int
	log      hclog.Logger
	observe  Observer
}

// run runs one command with the timeout, in its own process group, and
// returns its output. A non-zero exit is a *CommandError; cancellation of
// ctx returns an error wrapping ctx.Err().
func (r *runner) run(ctx context.Context, op, cid string, timeout time.Duration, args []string) (output, error) {
	shown := display(r.bin, args)
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return output{}, fmt.Errorf("%s %s: waiting to run `%s`: %w", op, cid, shown, ctx.Err())
	}
	defer func() { <-r.sem }()

	cctx, cancel := context.WithTimeoutCause(ctx, timeout, ErrCommandTimeout)
	defer cancel()
	cmd := pluginapi.CommandContext(cctx, r.bin, args...)
	cmd.Dir = r.dir
	cmd.Env = r.env
	cmd.Stdin = nil
	stdout, stderr := &boundedBuffer{max: r.maxOut}, &boundedBuffer{max: r.maxOut}
	cmd.Stdout, cmd.Stderr = stdout, stderr

	r.log.Debug("running command", "op", op, "canister", cid, "command", shown)
	if r.observe != nil {
		r.observe(CommandEvent{Operation: op, Canister: cid, Command: shown})
	}
	start := time.Now()
	err := cmd.Start()
	if err == nil {
		killpoint.Hit(killpoint.DFXCommandStarted)
		err = cmd.Wait()
	}
	killpoint.Hit(killpoint.DFXCommandDone)
	out := output{stdout: stdout.Bytes(), stderr: stderr.Bytes(), exit: -1}
	if cmd.ProcessState != nil {
		out.exit = cmd.ProcessState.ExitCode()
	}
	elapsed := time.Since(start)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			err = fmt.Errorf("%s %s: `%s` cancelled: %w", op, cid, shown, ctx.Err())
		case errors.Is(context.Cause(cctx), ErrCommandTimeout):
			err = &CommandError{Command: shown, ExitStatus: -1, Stderr: r.firstLines(out),
				Err: fmt.Errorf("%w after %s (process group killed)", ErrCommandTimeout, timeout)}
		default:
			err = &CommandError{Command: shown, ExitStatus: out.exit, Stderr: r.firstLines(out), Err: err}
		}
	}
	r.log.Debug("command finished", "op", op, "canister", cid, "command", shown, "elapsed", elapsed, "exit", out.exit)
	if r.observe != nil {
		r.observe(CommandEvent{Operation: op, Canister: cid, Command: shown, Done: true, Elapsed: elapsed, Err: err})
	}
	return out, err
}

// parseError is the *CommandError for output that did not parse.
func (r *runner) parseError(args []string, out output, err error) *CommandError {
	return &CommandError{Command: display(r.bin, args), ExitStatus: out.exit, Stderr: r.firstLines(out),
		Err: fmt.Errorf("cannot parse its output: %w", err)}
}

// firstLines quotes the first lines of stderr (from its "Error:" line when
// there is one), or of stdout when stderr is empty, joined with " | ".
func (r *runner) firstLines(out output) string {
	text := strings.TrimSpace(string(out.stderr))
	if text == "" {
		text = strings.TrimSpace(string(out.stdout))
	}
	// The CLIs print progress before the failure; quote from "Error:" on.
	if i := strings.Index(text, "Error: "); i > 0 && (text[i-1] == '\n') {
		text = text[i:]
	}
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "WARN ") {
			continue
		}
		lines = append(lines, l)
		if len(lines) == r.errLines {
			break
		}
	}
	return strings.Join(lines, " | ")
}

// display renders a command line for logs and errors: arguments with
// spaces quoted, long hex (root keys) shortened.
func display(bin string, args []string) string {
	parts := []string{bin}
	for _, a := range args {
		if len(a) > 40 && isHex(a) {
			a = a[:8] + "…" + a[len(a)-8:]
		}
		if a == "" || strings.ContainsAny(a, " \t\"'") {
			a = fmt.Sprintf("%q", a)
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// boundedBuffer keeps the first max bytes written and counts the rest, so
// a chatty command cannot exhaust memory.
type boundedBuffer struct {
	buf     bytes.Buffer
	max     int
	dropped int64
}

// Write keeps what fits and always reports the whole write as consumed.
func (b *boundedBuffer) Write(p []byte) (int, error) {
	room := b.max - b.buf.Len()
	if room > len(p) {
		room = len(p)
	}
	if room > 0 {
		b.buf.Write(p[:room])
	}
	b.dropped += int64(len(p) - room)
	return len(p), nil
}

// Bytes returns what was kept.
func (b *boundedBuffer) Bytes() []byte { return b.buf.Bytes() }

// environ builds a command environment: the host's, then the fixed
// settings that keep the CLIs quiet and deterministic, then extra.
func environ(flavor Flavor, icpHome string, extra map[string]string) []string {
	env := os.Environ()
	set := map[string]string{"RUST_BACKTRACE": "0", "NO_COLOR": "1", "TERM": "dumb"}
	switch flavor {
	case FlavorICP:
		set["DO_NOT_TRACK"] = "1"
		if icpHome != "" {
			set["ICP_HOME"] = icpHome
		}
	case FlavorDFX:
		set["DFX_WARNING"] = "-deprecation"
		set["DFX_TELEMETRY"] = "off"
	}
	for k, v := range extra {
		set[k] = v
	}
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if _, over := set[k]; !over {
			out = append(out, kv)
		}
	}
	for k, v := range set {
		out = append(out, k+"="+v)
	}
	return out
}
