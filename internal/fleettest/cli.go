package fleettest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Build builds ./cmd/canic-backup into dir, with -race when race is set
// (so the product's own races are caught too), and returns its path.
func Build(dir string, race bool) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bin := filepath.Join(dir, "canic-backup")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	args = append(args, "github.com/canic-backup/canic-backup/cmd/canic-backup")
	if out, err := exec.CommandContext(ctx, "go", args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build canic-backup: %w\n%s", err, out)
	}
	return bin, nil
}

// CLI runs the built binary as a subprocess.
type CLI struct {
	// Bin is the binary's path.
	Bin string
	// Env is added to every run's environment (the process's own, then
	// Env, then each run's extra).
	Env []string
}

// Result is what one run of the binary left.
type Result struct {
	Code int
	// Killed is set when SIGKILL ended it (a kill point in the main
	// process, or the harness).
	Killed         bool
	Stdout, Stderr string
}

func (r Result) String() string {
	return "exit " + strconv.Itoa(r.Code) + " killed=" + strconv.FormatBool(r.Killed) +
		"\nstdout:\n" + r.Stdout + "\nstderr:\n" + r.Stderr
}

// Run runs the binary with args in dir, its environment plus extra
// ("K=V"), and waits for it.
func (c CLI) Run(t *testing.T, dir string, extra []string, args ...string) Result {
	t.Helper()
	cmd, out, errOut := c.Command(t, dir, extra, args...)
	return Wait(t, cmd, out, errOut)
}

// Output is what a started binary writes to stdout or stderr, which the
// test may read while the process writes.
type Output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

// String is what was written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// Command starts the binary like Run; finish it with Wait.
func (c CLI) Command(t *testing.T, dir string, extra []string, args ...string) (*exec.Cmd, *Output, *Output) {
	t.Helper()
	cmd := exec.Command(c.Bin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(append(os.Environ(), "CANIC_BACKUP_LOG="), c.Env...), extra...)
	out, errOut := &Output{}, &Output{}
	cmd.Stdout, cmd.Stderr = out, errOut
	require.NoError(t, cmd.Start())
	return cmd, out, errOut
}

// Wait waits (at most 3 minutes, then kills it and fails the test) for a
// command started by Command.
func Wait(t *testing.T, cmd *exec.Cmd, out, errOut *Output) Result {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(3 * time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("canic-backup %v timed out\nstdout:\n%s\nstderr:\n%s", cmd.Args[1:], out, errOut)
	}
	r := Result{Stdout: out.String(), Stderr: errOut.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.Code = ee.ExitCode()
		r.Killed = KilledBySIGKILL(ee.ProcessState)
	} else {
		require.NoError(t, err)
	}
	return r
}

// Running is a started binary and its output so far.
type Running struct {
	Cmd      *exec.Cmd
	Out, Err *Output
}

// Start starts the binary like Run; finish it with (*Running).Wait.
func (c CLI) Start(t *testing.T, dir string, extra []string, args ...string) *Running {
	t.Helper()
	cmd, out, errOut := c.Command(t, dir, extra, args...)
	return &Running{Cmd: cmd, Out: out, Err: errOut}
}

// Wait waits for it (see Wait).
func (r *Running) Wait(t *testing.T) Result {
	t.Helper()
	return Wait(t, r.Cmd, r.Out, r.Err)
}

// Main is a test package's TestMain: it builds the binary (see Build) into
// a temporary directory named for pkg, sets *cli to run it with env, runs
// the tests, removes the directory and exits with the tests' code.
func Main(m *testing.M, pkg string, race bool, env []string, cli *CLI) {
	dir, err := os.MkdirTemp("", "canic-backup-"+pkg+"-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		bin, err := Build(dir, race)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		*cli = CLI{Bin: bin, Env: env}
		return m.Run()
	}()
	os.Exit(code)
}
