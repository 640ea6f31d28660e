package main

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"
)

// TestVersion: --version, -V and `version` print the version, commit and
// Go version; --json gives them as fields.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-V"}, {"version"}} {
		r := runCLI(t, args...)
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Regexp(t, `^canic-backup \S+ \(commit \S+, go\S+\)\n$`, r.stdout, args)
		assert.Contains(t, r.stdout, runtime.Version())
	}
	r := runCLI(t, "version", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var b buildInfo
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &b))
	assert.Equal(t, runtime.Version(), b.GoVersion)
	assert.NotEmpty(t, b.Version)
	assert.NotEmpty(t, b.Commit)
}

// TestVersionLinkerOverride: -ldflags -X values win over the build info.
func TestVersionLinkerOverride(t *testing.T) {
	b := buildInfo{Version: "v9.9.9", Commit: "abc1234", Modified: true, GoVersion: "go1.99"}
	assert.Equal(t, "canic-backup v9.9.9 (commit abc1234+dirty, go1.99)", b.String())
	// currentBuild falls back to "(devel)"/"unknown" only without either source.
	got := currentBuild()
	assert.NotEqual(t, "", got.Version)
	assert.NotEqual(t, "", got.Commit)
}

// TestHelpDocumentsExitCodesAndExamples: the top-level help lists the exit
// codes; each command added for issue 8 has a one-line summary and an
// example; every command has a summary.
func TestHelpDocumentsExitCodesAndExamples(t *testing.T) {
	r := runCLI(t, "--help")
	require.Equal(t, exitOK, r.code, r.stderr)
	for _, code := range []string{"0  ok", "1  failed", "2  usage error", "3  verification", "4  needs attention"} {
		assert.Contains(t, r.stdout, code)
	}
	app := newApp(env{})
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			path := strings.TrimSpace(prefix + " " + c.Name)
			assert.NotEmpty(t, c.Usage, path)
			assert.NotContains(t, c.Usage, "\n", "%s: one-line summary", path)
			walk(path, c.Subcommands)
		}
	}
	walk("", app.Commands)
	for _, args := range [][]string{
		{"backup", "list"}, {"backup", "inspect"}, {"backup", "prune"}, {"backup", "recover"},
		{"backup", "run"}, {"completion"}, {"version"},
	} {
		r := runCLI(t, append(args, "--help")...)
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Contains(t, r.stdout, "canic-backup "+args[0], args)
		assert.Contains(t, r.stdout, "xample", "%v has an example", args)
	}
}
