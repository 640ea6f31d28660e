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

// helpExampleExempt lists leaf commands whose files are owned by engineers
// still at work; their help gets an example when they finish.
var helpExampleExempt = map[string]string{
	// TODO(perf): add an Example: block to backup create (backup_create.go).
	"backup create": "perf",
	// TODO(perf): add an Example: block to backup resume (backup_resume.go).
	"backup resume": "perf",
	// TODO(fixes): add an Example: block to sim start (sim.go).
	"sim start": "fixes",
}

// TestHelpDocumentsExitCodesAndExamples: the top-level help lists the exit
// codes; every command has a one-line summary; every visible leaf command
// (but those in helpExampleExempt) shows an example in its --help, and each
// example invokes that very command with flags it defines.
func TestHelpDocumentsExitCodesAndExamples(t *testing.T) {
	r := runCLI(t, "--help")
	require.Equal(t, exitOK, r.code, r.stderr)
	for _, code := range []string{"0  ok", "1  failed", "2  usage error", "3  verification", "4  needs attention"} {
		assert.Contains(t, r.stdout, code)
	}
	app := newApp(env{})
	global := flagSet(app.Flags)
	leaves := 0
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			path := strings.TrimSpace(prefix + " " + c.Name)
			assert.NotEmpty(t, c.Usage, path)
			assert.NotContains(t, c.Usage, "\n", "%s: one-line summary", path)
			if len(c.Subcommands) > 0 {
				walk(path, c.Subcommands)
				continue
			}
			if _, exempt := helpExampleExempt[path]; exempt || c.Hidden {
				continue
			}
			leaves++
			r := runCLI(t, append(strings.Fields(path), "--help")...)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Contains(t, r.stdout, "canic-backup "+path, path)
			assert.Regexp(t, `(?m)^\s*Examples?:$`, r.stdout, "%s has an example", path)
			examples := exampleInvocations(c.Description+"\n"+c.UsageText, "canic-backup "+path)
			if assert.NotEmpty(t, examples, "%s: an example invokes canic-backup %s", path, path) {
				own := flagSet(c.Flags)
				for _, ex := range examples {
					for _, f := range ex {
						assert.True(t, own[f] || global[f], "%s: example flag %s is not a flag of the command", path, f)
					}
				}
			}
		}
	}
	walk("", app.Commands)
	assert.GreaterOrEqual(t, leaves, 17, "every visible leaf was checked")
}

// exampleInvocations returns the --flags of each line of text that
// invokes cmd (as in "canic-backup restore run --journal F --dry-run").
func exampleInvocations(text, cmd string) [][]string {
	var out [][]string
	for _, line := range strings.Split(text, "\n") {
		i := strings.Index(line, cmd+" ")
		if i < 0 || strings.Contains(line, "[") {
			continue // not an invocation, or a synopsis
		}
		var flags []string
		for _, tok := range strings.Fields(line[i+len(cmd):]) {
			if strings.HasPrefix(tok, "--") {
				name, _, _ := strings.Cut(tok, "=")
				flags = append(flags, name)
			}
		}
		out = append(out, flags)
	}
	return out
}

// flagSet is the set of spellings (--name, -n) of flags.
func flagSet(flags []cli.Flag) map[string]bool {
	m := map[string]bool{}
	for _, n := range flagNames(flags) {
		m[n] = true
	}
	return m
}
