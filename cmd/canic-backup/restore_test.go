package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/principal"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/internal/golden"
)

// runRestoreCLI runs the app in-process with `restore` built around open
// (nil: no executor configured) and the clock pinned at secs.
func runRestoreCLI(t *testing.T, open openRestoreExecutor, secs int64, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	e := env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" },
		now: func() time.Time { return time.Unix(secs, 0) }}
	app := newApp(e)
	cmds := []*cli.Command{newRestoreCommand(e, open)}
	for _, c := range app.Commands {
		if c.Name != "restore" {
			cmds = append(cmds, c)
		}
	}
	app.Commands = cmds
	err := app.RunContext(context.Background(), append([]string{"canic-backup"}, args...))
	if err != nil {
		fmt.Fprintln(&errOut, "error:", err)
	}
	return result{code: exitCode(err), stdout: out.String(), stderr: errOut.String()}
}

// restoreWorkdir lays out the golden backup at the relative path the
// restore goldens were written with and changes into it.
func restoreWorkdir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	goldenBackup(t, filepath.Join(dir, "backups/fleet-demo-20260512-140000"))
	for _, f := range []string{"mapping.json", "plan.json"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), golden.Read(t, "restore/"+f), 0o644))
	}
	abs, err := filepath.Abs(golden.Dir(t))
	require.NoError(t, err)
	t.Setenv(golden.EnvDir, abs)
	t.Chdir(dir)
	return dir
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(b)
}

// TestRestoreCLIPlanApplyRun drives plan → apply → run --dry-run through
// the CLI and compares every file with the goldens.
func TestRestoreCLIPlanApplyRun(t *testing.T) {
	restoreWorkdir(t)
	r := runRestoreCLI(t, nil, 0, "restore", "plan", "--backup-dir", "backups/fleet-demo-20260512-140000",
		"--require-verified", "--mapping", "mapping.json", "--out", "out/plan.json", "--require-restore-ready")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, string(golden.Read(t, "restore/plan.json")), readFile(t, "out/plan.json"))

	r = runRestoreCLI(t, nil, 0, "restore", "apply", "--plan", "out/plan.json", "--backup-dir",
		"backups/fleet-demo-20260512-140000", "--dry-run", "--out", "out/dry.json", "--journal-out", "out/journal.json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, string(golden.Read(t, "restore/apply-dry-run.json")), readFile(t, "out/dry.json"))
	assert.Equal(t, string(golden.Read(t, "restore/apply-journal-initial.json")), withoutChecksumExtension(readFile(t, "out/journal.json")),
		"0.35.1's journal plus the verified checksums (docs/compat.md)")
	assert.Contains(t, readFile(t, "out/journal.json"), `"checksum": "`)

	r = runRestoreCLI(t, nil, 0, "restore", "apply", "--plan", "out/plan.json", "--dry-run", "--journal-out", "out/journal.json")
	assert.Equal(t, 1, r.code, "an existing journal is never replaced")
	assert.Contains(t, r.stderr, "refusing to replace an apply journal")

	r = runRestoreCLI(t, nil, 0, "restore", "run", "--journal", "out/journal.json", "--dry-run", "--network", "local", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, string(golden.Read(t, "restore/run-dry-run-initial.json"))+"\n", r.stdout)

	r = runRestoreCLI(t, nil, 0, "restore", "run", "--journal", "out/journal.json", "--execute")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "no executor is available")
	assert.Equal(t, string(golden.Read(t, "restore/apply-journal-initial.json")), withoutChecksumExtension(readFile(t, "out/journal.json")))
}

// TestRestoreCLIErrors: usage errors exit 2, bad input exits 1 with the
// golden text, a failed verification exits 3.
func TestRestoreCLIErrors(t *testing.T) {
	restoreWorkdir(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"restore", "plan"}, 2, "one of --backup-dir or --manifest"},
		{[]string{"restore", "plan", "--manifest", "x", "--backup-dir", "y"}, 2, "exclude each other"},
		{[]string{"restore", "plan", "--manifest", "x", "--require-verified"}, 2, "requires --backup-dir"},
		{[]string{"restore", "apply", "--plan", "plan.json"}, 2, "--dry-run is required"},
		{[]string{"restore", "run", "--journal", "j"}, 2, "exactly one of"},
		{[]string{"restore", "run", "--journal", "j", "--dry-run", "--execute"}, 2, "exactly one of"},
		{[]string{"restore", "run", "--journal", "j", "--execute", "--max-steps", "0"}, 2, "positive integer"},
		{[]string{"restore", "plan", "--backup-dir", "backups/fleet-demo-20260512-140000", "--mapping",
			golden.Path(t, "restore/invalid/03-mapping-duplicate-target/mapping.json")}, 1,
			string(golden.Read(t, "restore/invalid/03-mapping-duplicate-target/expected-error.txt"))},
		{[]string{"restore", "apply", "--plan", golden.Path(t, "restore/invalid/06-plan-path-traversal/plan.json"),
			"--backup-dir", "backups/fleet-demo-20260512-140000", "--dry-run"}, 1,
			string(golden.Read(t, "restore/invalid/06-plan-path-traversal/expected-error.txt"))},
	} {
		r := runRestoreCLI(t, nil, 0, tc.args...)
		assert.Equal(t, tc.code, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.want, tc.args)
	}
	// A backup whose artifact changed fails --require-verified (exit 3).
	art := filepath.Join("backups/fleet-demo-20260512-140000", "renrk-eyaaa-aaaaa-aaada-cai")
	entries, err := os.ReadDir(art)
	require.NoError(t, err)
	var file string
	require.NoError(t, filepath.WalkDir(art, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && file == "" {
			file = p
		}
		return err
	}))
	require.NotEmpty(t, entries)
	require.NoError(t, os.WriteFile(file, []byte("tampered"), 0o644))
	r := runRestoreCLI(t, nil, 0, "restore", "plan", "--backup-dir", "backups/fleet-demo-20260512-140000", "--require-verified")
	assert.Equal(t, 3, r.code, r.stderr)
	assert.Empty(t, r.stdout, "nothing is written when verification fails")

	// Golden invalid/01 inside a layout: the manifest checksum disagrees
	// with the download journal.
	bad := "backups/bad"
	goldenBackup(t, bad)
	require.NoError(t, os.WriteFile(filepath.Join(bad, "fleet-backup-manifest.json"),
		golden.Read(t, "restore/invalid/01-manifest-checksum-mismatch/fleet-backup-manifest.json"), 0o644))
	r = runRestoreCLI(t, nil, 0, "restore", "plan", "--backup-dir", bad, "--require-verified")
	assert.Equal(t, 3, r.code, r.stderr)
	assert.Contains(t, r.stderr, string(golden.Read(t, "restore/invalid/01-manifest-checksum-mismatch/expected-error.require-verified.txt")))
}

// cliExecutor is a minimal in-memory RestoreExecutor for CLI tests.
type cliExecutor struct {
	restore.IcpPreview
	stopped map[string]bool
	failAt  string // target whose load fails once
}

func (x *cliExecutor) UploadSnapshot(ctx context.Context, target, dir string) (string, error) {
	p, err := principal.Parse(target)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("0000000000000001%x", p.Bytes()), nil
}
func (x *cliExecutor) StopCanister(ctx context.Context, t string) error {
	x.stopped[t] = true
	return nil
}
func (x *cliExecutor) StartCanister(ctx context.Context, t string) error {
	x.stopped[t] = false
	return nil
}
func (x *cliExecutor) LoadSnapshot(ctx context.Context, t, id string) error {
	if t == x.failAt {
		x.failAt = ""
		return &restore.CommandError{Status: "1", Err: errors.New("snapshot not found")}
	}
	return nil
}
func (x *cliExecutor) CanisterStatus(ctx context.Context, t string) (string, string, error) {
	hashes := map[string]string{"r7inp-6aaaa-aaaaa-aaabq-cai": "1", "qoctq-giaaa-aaaaa-aaaea-cai": "2", "rno2w-sqaaa-aaaaa-aaacq-cai": "3"}
	h := strings.Repeat(hashes[t], 64)
	if x.stopped[t] {
		return restore.StatusStopped, h, nil
	}
	return restore.StatusRunning, h, nil
}

// TestRestoreCLIExecuteRetry: --execute writes its summary and exits 1 on
// a failed step; --retry-failed re-arms it; --execute then completes.
func TestRestoreCLIExecuteRetry(t *testing.T) {
	restoreWorkdir(t)
	j := "restore-apply-journal.json"
	require.NoError(t, os.WriteFile(j, golden.Read(t, "restore/apply-journal-initial.json"), 0o644))
	x := &cliExecutor{IcpPreview: restore.IcpPreview{Network: "local"}, stopped: map[string]bool{}, failAt: "qoctq-giaaa-aaaaa-aaaea-cai"}
	open := func(ctx context.Context, envName string) (restore.RestoreExecutor, func() error, error) {
		assert.Equal(t, "local", envName)
		return x, func() error { return nil }, nil
	}
	r := runRestoreCLI(t, open, 1778598000, "restore", "run", "--journal", j, "--execute", "--env", "local", "--out", "summary.json")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "restore run command failed for operation 7: status=1")
	assert.Contains(t, readFile(t, "summary.json"), `"stopped_reason": "command-failed"`)

	r = runRestoreCLI(t, open, 1778598060, "restore", "run", "--journal", j, "--execute", "--env", "local")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "has failed operations: failed=1")

	r = runRestoreCLI(t, open, 1778598120, "restore", "run", "--journal", j, "--retry-failed", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"stopped_reason": "retried-failed"`)

	r = runRestoreCLI(t, open, 1778598180, "restore", "run", "--journal", j, "--execute", "--env", "local", "--require-complete", "--require-no-attention")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "complete, next: done; 15/15 operations completed")
	jr, err := restore.ReadJournal(j)
	require.NoError(t, err)
	assert.True(t, jr.IsComplete())
	attempts := 0
	for _, rc := range jr.OperationReceipts {
		if rc.Sequence == 7 {
			attempts = max(attempts, rc.Attempt)
		}
	}
	assert.Equal(t, 2, attempts, "the retried load is attempt 2")

	r = runRestoreCLI(t, nil, 0, "restore", "run", "--journal", j, "--dry-run", "--require-no-attention")
	assert.Equal(t, 0, r.code, r.stderr)
}
