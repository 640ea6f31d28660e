package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// demoSuccessLine starts the line the demo prints when every canister was
// restored.
const demoSuccessLine = "ok: backup verified and every canister is back to its backup-time state"

// repoRoot is the module root (this package is cmd/canic-backup).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "go.mod"))
	require.NoError(t, err, "module root %s", root)
	return root
}

// fencedBlock matches a fenced code block: its info string and body.
var fencedBlock = regexp.MustCompile("(?ms)^```([A-Za-z]*)[ \t]*\n(.*?)^```")

// readmeCommandBlocks returns README.md's shell code blocks (info string
// sh, bash, shell or none), trimmed, in order.
func readmeCommandBlocks(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	require.NoError(t, err)
	var out []string
	for _, m := range fencedBlock.FindAllStringSubmatch(string(b), -1) {
		switch m[1] {
		case "", "sh", "bash", "shell":
			out = append(out, strings.TrimSpace(m[2]))
		}
	}
	return out
}

// TestReadmeFirstCommandRuns runs the README's first command exactly as
// written, with sh from the repository root, and expects the demo's
// success line. It is `go run`, so it builds from the module cache (no
// network once `go mod download` has run).
func TestReadmeFirstCommandRuns(t *testing.T) {
	blocks := readmeCommandBlocks(t)
	require.GreaterOrEqual(t, len(blocks), 2, "README.md needs at least two command blocks")
	require.Equal(t, "go run ./cmd/canic-backup demo", blocks[0], "the README's first command")
	require.Equal(t, "make test", blocks[1], "the README's second command")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", blocks[0])
	cmd.Dir = repoRoot(t)
	// The demo keeps its directory under $TMPDIR: make that the test's.
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("`%s` took %s", blocks[0], time.Since(start))
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	assert.Contains(t, stdout.String(), demoSuccessLine)
	assert.Equal(t, 3, strings.Count(stdout.String(), "✓"), stdout.String())
}

// TestReadmeDocumentsEveryCommand: the README's command table names every
// visible command (and each family's subcommands), and every local link of
// the README exists.
func TestReadmeDocumentsEveryCommand(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	readme := string(b)
	app := newApp(env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }, now: time.Now})
	for _, c := range app.Commands {
		if c.Hidden {
			continue
		}
		if len(c.Subcommands) == 0 {
			assert.Contains(t, readme, "| `"+c.Name+"` |", "README command table lacks %s", c.Name)
			continue
		}
		for _, s := range c.Subcommands {
			if !s.Hidden {
				assert.Contains(t, readme, "| `"+c.Name+" "+s.Name+"` |", "README command table lacks %s %s", c.Name, s.Name)
			}
		}
	}
	for _, m := range regexp.MustCompile(`\]\(([^)#:]+)\)`).FindAllStringSubmatch(readme, -1) {
		_, err := os.Stat(filepath.Join(root, m[1]))
		assert.NoError(t, err, "README links %s", m[1])
	}
	for _, code := range []string{"| 0 | ok |", "| 2 | usage error", "| 3 | verification ran", "| 4 | needs attention"} {
		assert.Contains(t, readme, code)
	}
}

// TestSafetyDocNamesRealTests: every test docs/safety.md cites as proof
// exists.
func TestSafetyDocNamesRealTests(t *testing.T) {
	root := repoRoot(t)
	doc, err := os.ReadFile(filepath.Join(root, "docs", "safety.md"))
	require.NoError(t, err)
	names := map[string]bool{}
	for _, m := range regexp.MustCompile("`(Test[A-Za-z0-9_]+)`").FindAllStringSubmatch(string(doc), -1) {
		names[m[1]] = false
	}
	require.NotEmpty(t, names)
	require.NoError(t, filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == ".cache") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for n := range names {
			if bytes.Contains(src, []byte("func "+n+"(")) {
				names[n] = true
			}
		}
		return nil
	}))
	for n, found := range names {
		assert.True(t, found, "docs/safety.md cites %s, which no _test.go defines", n)
	}
}
