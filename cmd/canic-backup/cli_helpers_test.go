package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/internal/golden"
)

// goldenNow is the golden run's pinned clock (2026-05-12T14:00:00Z).
var goldenNow = time.Unix(1778594400, 0)

// result is one in-process run of the CLI.
type result struct {
	code   int
	stdout string
	stderr string
}

// runCLI runs the app in-process with args (without the program name).
func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	return runCLIWith(t, nil, args...)
}

// runCLIWith is runCLI with `backup run`'s executor replaced by exec.
func runCLIWith(t *testing.T, exec runner.Executor, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	e := env{
		stdout: &out,
		stderr: &errOut,
		getenv: func(string) string { return "" },
		now:    func() time.Time { return goldenNow },
	}
	if exec != nil {
		e.openExecutor = func(context.Context, executorSpec) (runner.Executor, func() error, error) {
			return exec, func() error { return nil }, nil
		}
	}
	code := run(context.Background(), append([]string{"canic-backup"}, args...), e)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// goldenBackup copies the four main golden documents and the golden
// artifacts into dir (created), writable.
func goldenBackup(t *testing.T, dir string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, name := range []string{
		"backup-plan.json", "backup-execution-journal.json", "download-journal.json", "fleet-backup-manifest.json",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), golden.Read(t, "backup/"+name), 0o644))
	}
	copyTree(t, golden.Path(t, "backup/extra/artifacts"), dir)
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	}))
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
}

var checksumExtension = regexp.MustCompile(`,\n\s*"checksum": "[0-9a-f]{64}"|,\n\s*"files": \[[^\]]*\]`)

// withoutChecksumExtension removes canic-backup's `checksum` and `files`
// fields from a restore apply journal's rows and receipts
// (docs/compat.md), leaving 0.35.1's document.
func withoutChecksumExtension(s string) string {
	return checksumExtension.ReplaceAllString(s, "")
}
