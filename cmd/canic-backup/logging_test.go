package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/runner/memexec"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// checkGolden compares got with testdata/name, rewriting it under -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Equal(t, string(want), got)
}

// runWithStreams runs the CLI in-process with the given stdout and
// stderr, `backup run`'s executor being exec.
func runWithStreams(t *testing.T, stdout, stderr io.Writer, exec runner.Executor, args ...string) int {
	t.Helper()
	e := env{
		stdout: stdout, stderr: stderr,
		getenv: func(string) string { return "" },
		now:    func() time.Time { return goldenNow },
		openExecutor: func(context.Context, executorSpec) (runner.Executor, func() error, error) {
			return exec, func() error { return nil }, nil
		},
	}
	return run(context.Background(), append([]string{"canic-backup"}, args...), e)
}

// stableDir replaces the temp backup directory in output with DIR.
func stableDir(s, dir string) string { return strings.ReplaceAll(s, dir, "DIR") }

// TestBackupRunJSONGolden: --json prints exactly one JSON document (the run
// response) on stdout and nothing else there.
func TestBackupRunJSONGolden(t *testing.T) {
	dir := plannedDemo(t)
	r := runCLIWith(t, memexec.New(), "backup", "run", "--dir", dir, "--plugin", "unused", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), "stdout is one JSON document")
	assert.Equal(t, true, doc["complete"])
	checkGolden(t, "backup-run.json.golden", stableDir(r.stdout, dir))
}

// TestBackupRunJSONLinesGolden: --json-lines streams one object a line,
// each with a type, ending with the result; a failed run too.
func TestBackupRunJSONLinesGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		fail   bool
		code   int
	}{{"backup-run.jsonl.golden", false, exitOK}, {"backup-run-failed.jsonl.golden", true, exitFailure}} {
		t.Run(tc.golden, func(t *testing.T) {
			dir := plannedDemo(t)
			exec := memexec.New()
			if tc.fail {
				exec.FailNext("snapshot:"+demoHub, &runner.CommandError{Status: "not-stopped", Message: "canister is not stopped"})
			}
			r := runCLIWith(t, exec, "backup", "run", "--dir", dir, "--plugin", "unused", "--json-lines")
			require.Equal(t, tc.code, r.code, r.stderr)
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			types := map[string]int{}
			for _, l := range lines {
				var obj map[string]any
				require.NoError(t, json.Unmarshal([]byte(l), &obj), l)
				typ, _ := obj["type"].(string)
				require.NotEmpty(t, typ, l)
				types[typ]++
			}
			assert.Equal(t, 1, types["run_started"])
			assert.Equal(t, 1, types["run_finished"])
			assert.Equal(t, 1, types["result"])
			assert.True(t, strings.HasPrefix(lines[len(lines)-1], `{"type":"result","result":{`))
			if !tc.fail {
				assert.Equal(t, 4, types["download_progress"], "two canisters, two reports each")
				// The result line holds what --json prints.
				want, err := os.ReadFile(filepath.Join("testdata", "backup-run.json.golden"))
				require.NoError(t, err)
				var compact bytes.Buffer
				require.NoError(t, json.Compact(&compact, want))
				assert.Equal(t, `{"type":"result","result":`+compact.String()+`}`, stableDir(lines[len(lines)-1], dir))
			}
			checkGolden(t, tc.golden, stableDir(r.stdout, dir))
		})
	}
}

// TestProgressFlagsUsage: --json with --json-lines, and a bad log format,
// are usage errors.
func TestProgressFlagsUsage(t *testing.T) {
	dir := plannedDemo(t)
	r := runCLIWith(t, memexec.New(), "backup", "run", "--dir", dir, "--plugin", "unused", "--json", "--json-lines")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--json and --json-lines cannot be combined")
	r = runCLIWith(t, memexec.New(), "--log-format", "xml", "backup", "run", "--dir", dir, "--plugin", "unused")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `--log-format must be text or json, got "xml"`)
}

// TestProgressOffTerminalLogsLines: with stderr a pipe there is no live
// view (no escape sequences), one log line per finished operation, and
// JSON log lines with --log-format json.
func TestProgressOffTerminalLogsLines(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			dir := plannedDemo(t)
			pr, pw, err := os.Pipe()
			require.NoError(t, err)
			got := make(chan string)
			go func() {
				b, _ := io.ReadAll(pr)
				got <- string(b)
			}()
			var stdout bytes.Buffer
			code := runWithStreams(t, &stdout, pw, memexec.New(), "--log-format", format, "backup", "run", "--dir", dir, "--plugin", "unused")
			require.NoError(t, pw.Close())
			stderr := <-got
			require.Equal(t, exitOK, code, stderr)
			assert.NotContains(t, stderr, "\x1b[", "no terminal control sequences off a terminal")
			assert.Contains(t, stdout.String(), "complete")
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			completed := 0
			for _, l := range lines {
				if strings.Contains(l, "operation completed") {
					completed++
				}
				if format == "json" {
					var obj map[string]any
					require.NoError(t, json.Unmarshal([]byte(l), &obj), l)
				}
			}
			assert.Equal(t, 11, completed, "one line per operation run (validate operations are accepted with the preflight)")
		})
	}
}

// TestProgressLiveViewUnderPseudoTerminal: with stderr a terminal, the
// live view draws each canister's line and the fleet total there, and
// stdout keeps only the result.
func TestProgressLiveViewUnderPseudoTerminal(t *testing.T) {
	dir := plannedDemo(t)
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	require.NoError(t, pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 160}))
	got := make(chan string)
	go func() {
		var b bytes.Buffer
		_, _ = io.Copy(&b, ptmx) // ends with EIO once the tty closes
		got <- b.String()
	}()
	var stdout bytes.Buffer
	exec := slowDownloads{Executor: memexec.New(), delay: 150 * time.Millisecond}
	code := runWithStreams(t, &stdout, tty, exec, "backup", "run", "--dir", dir, "--plugin", "unused", "--json")
	require.NoError(t, tty.Close())
	var screen string
	select {
	case screen = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("pty reader did not finish")
	}
	require.Equal(t, exitOK, code, screen)
	assert.Contains(t, screen, "\x1b[", "the live view redraws in place")
	for _, id := range []string{demoApp, demoHub} {
		assert.Contains(t, screen, id)
	}
	assert.Contains(t, screen, "operations")
	assert.Contains(t, screen, "downloaded")
	assert.NotContains(t, screen, "operation completed", "no log lines under the live view")
	var doc map[string]any
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &doc), "stdout holds only the result")
}

// slowDownloads makes each download last long enough for the live view
// to draw more than its final frame.
type slowDownloads struct {
	*memexec.Executor
	delay time.Duration
}

func (s slowDownloads) DownloadSnapshot(ctx context.Context, id, snapshotID, dir string) error {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Executor.DownloadSnapshot(ctx, id, snapshotID, dir)
}
