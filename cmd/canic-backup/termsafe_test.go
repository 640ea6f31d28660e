package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/internal/golden"
)

// runMain runs the real entry point (run) in-process and returns its
// exit code and streams.
func runMain(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	e := env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" },
		now: func() time.Time { return time.Unix(0, 0) }}
	code := run(context.Background(), append([]string{"canic-backup"}, args...), e)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// Control and ANSI bytes from a document (here a journal's backup id) and
// from a path in an error are printed escaped, never raw; the JSON form
// keeps the exact string.
func TestDocumentControlBytesAreEscapedOnTheTerminal(t *testing.T) {
	restoreWorkdir(t)
	hostile := "run-\x1b]0;pwned\x07\x1b[31mred\x1b[0m\u009b2J"
	enc, err := json.Marshal(hostile)
	require.NoError(t, err)
	doc := strings.Replace(string(golden.Read(t, "restore/apply-journal-initial.json")),
		`"run-demo-20260512-140000"`, string(enc), 1)
	require.NoError(t, os.WriteFile("journal.json", []byte(doc), 0o600))

	r := runMain(t, "restore", "run", "--journal", "journal.json", "--dry-run")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `run-\u001b]0;pwned\u0007\u001b[31mred\u001b[0m\u009b2J`)
	assert.NotContains(t, r.stdout, "\x1b")
	assert.NotContains(t, r.stdout, "\x07")
	assert.NotContains(t, r.stdout, "\u009b")

	r = runMain(t, "restore", "run", "--journal", "journal.json", "--dry-run", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stdout, "\x1b")
	assert.NotContains(t, r.stdout, "\u009b")
	var resp struct {
		BackupID string `json:"backup_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &resp))
	assert.Equal(t, hostile, resp.BackupID, "JSON keeps the exact string")

	r = runMain(t, "restore", "run", "--journal", "gone\x1b[2J\r.json", "--dry-run")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, `gone\u001b[2J\u000d.json`)
	assert.NotContains(t, r.stderr, "\x1b")
}
