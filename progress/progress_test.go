package progress_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/runner/memexec"
	"github.com/canic-backup/canic-backup/internal/golden"
	"github.com/canic-backup/canic-backup/progress"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var clock = func() time.Time { return time.Unix(1778594400, 0) }

// checkGolden compares got with testdata/name, rewriting it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Equal(t, string(want), string(got))
}

// runGolden runs 0.35.1's golden plan through memexec with r observing,
// failing the snapshot of the second canister when fail is set.
func runGolden(t *testing.T, r progress.Renderer, fail bool) (*runner.Response, error) {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, runner.PlanFile), golden.Read(t, "backup/extra/initial.backup-plan.json"), 0o644))
	exec := memexec.New()
	if fail {
		exec.FailNext("snapshot:renrk-eyaaa-aaaaa-aaada-cai", errors.New("canister is not stopped"))
	}
	resp, err := runner.Run(context.Background(), runner.Config{Dir: dir, Clock: clock, Observer: progress.Backup(r)}, exec)
	require.NoError(t, r.Result(resp))
	require.NoError(t, r.Close())
	return resp, err
}

// TestJSONLinesGolden pins the --json-lines stream of a complete run and of
// a failed one: one object a line, each with a "type", the result last.
func TestJSONLinesGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail bool
	}{{"run.jsonl.golden", false}, {"failed-run.jsonl.golden", true}} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := runGolden(t, progress.NewJSONLines(&out), tc.fail)
			assert.Equal(t, tc.fail, err != nil)
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			assert.Contains(t, lines[0], `{"type":"run_started",`)
			assert.Contains(t, lines[len(lines)-1], `{"type":"result","result":{"run_id":`)
			checkGolden(t, tc.name, out.Bytes())
		})
	}
}

// TestLogLines: off a terminal, one line per finished operation (16), the
// failure at error level, restarts as warnings, and nothing per download.
func TestLogLines(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	_, err := runGolden(t, progress.NewLog(log), false)
	require.NoError(t, err)
	assert.Equal(t, 16, strings.Count(out.String(), "msg=\"operation completed\""))
	assert.Equal(t, 17, strings.Count(out.String(), "\n"), "16 operations and the run")
	assert.NotContains(t, out.String(), "download_progress")
	checkGolden(t, "run.log.golden", out.Bytes())

	out.Reset()
	_, err = runGolden(t, progress.NewLog(log), true)
	require.Error(t, err)
	assert.Contains(t, out.String(), `level=ERROR msg="operation failed"`)
	assert.Equal(t, 1, strings.Count(out.String(), "error="), "the failure's text is logged once, on the failed operation's line:\n%s", out.String())
	assert.Contains(t, out.String(), `level=ERROR msg="run stopped"`)
	assert.Equal(t, 3, strings.Count(out.String(), `level=WARN msg="canister restarted after failure"`))
}

// TestNewChoosesRenderer: JSON lines when asked, live on a terminal, log
// lines otherwise; a buffer is never a terminal.
func TestNewChoosesRenderer(t *testing.T) {
	var b bytes.Buffer
	assert.IsType(t, &progress.JSONLines{}, progress.New(progress.Options{Stdout: &b, JSONLines: true, Terminal: true}))
	live := progress.New(progress.Options{Stderr: &b, Terminal: true})
	assert.IsType(t, &progress.Live{}, live)
	require.NoError(t, live.Close())
	assert.IsType(t, &progress.Log{}, progress.New(progress.Options{}))
	assert.False(t, progress.IsTerminal(&b))
	f, err := os.CreateTemp(t.TempDir(), "out")
	require.NoError(t, err)
	defer f.Close()
	assert.False(t, progress.IsTerminal(f))
}

// TestLiveRendersCanisterLines draws the live view into a buffer (mpb is
// told it is a terminal) and finds each canister's line, its phase, its
// download bytes and the fleet total.
func TestLiveRendersCanisterLines(t *testing.T) {
	var out bytes.Buffer
	_, err := runGolden(t, progress.NewLive(&out), false)
	require.NoError(t, err)
	s := out.String()
	for _, id := range []string{"r7inp-6aaaa-aaaaa-aaabq-cai", "renrk-eyaaa-aaaaa-aaada-cai", "rno2w-sqaaa-aaaaa-aaacq-cai"} {
		assert.Contains(t, s, id)
	}
	assert.Contains(t, s, "verify-artifact (completed)")
	assert.Contains(t, s, "20/20 operations")
	assert.Contains(t, s, progress.Bytes(memexec.ArtifactSize("r7inp-6aaaa-aaaaa-aaabq-cai")))
}

func TestBytes(t *testing.T) {
	assert.Equal(t, "0 B", progress.Bytes(0))
	assert.Equal(t, "1023 B", progress.Bytes(1023))
	assert.Equal(t, "1.5 KiB", progress.Bytes(1536))
	assert.Equal(t, "3.0 GiB", progress.Bytes(3<<30))
}
