package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// complete sources the bash script and asks it to complete words (the
// last one being completed), returning the candidates.
func complete(t *testing.T, script string, words ...string) []string {
	t.Helper()
	bash, err := exec.LookPath("bash")
	require.NoError(t, err, "bash is needed to test the bash completion")
	path := filepath.Join(t.TempDir(), "completion.bash")
	require.NoError(t, os.WriteFile(path, []byte(script), 0o644))
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = "'" + w + "'"
	}
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c",
		`source "$1"; COMP_WORDS=(canic-backup `+strings.Join(quoted, " ")+`); COMP_CWORD=${#COMP_WORDS[@]}; COMP_CWORD=$((COMP_CWORD-1)); _canic_backup; printf '%s\n' "${COMPREPLY[@]}"`,
		"bash", path)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return strings.Fields(string(out))
}

// TestBashCompletion: commands, subcommands and flags complete from the
// command tree, with flag values skipped when finding the command path.
func TestBashCompletion(t *testing.T) {
	r := runCLI(t, "completion", "bash")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "complete -F _canic_backup canic-backup")

	assert.Equal(t, []string{"backup"}, complete(t, r.stdout, "ba"))
	assert.ElementsMatch(t, []string{"plan", "prune"}, complete(t, r.stdout, "backup", "p"))
	got := complete(t, r.stdout, "backup", "prune", "--")
	assert.Subset(t, got, []string{"--root", "--keep-last", "--dry-run", "--json", "--help"})
	assert.Subset(t, complete(t, r.stdout, "--verbose", "backup", "run", "--dir", "x", "--"), []string{"--json-lines", "--plugin"})
	assert.Subset(t, complete(t, r.stdout, "--"), []string{"--log-format", "--verbose", "--version"})
}

// TestZshAndFishCompletion: zsh reuses the bash function through
// bashcompinit; fish gets urfave/cli's generated script.
func TestZshAndFishCompletion(t *testing.T) {
	r := runCLI(t, "completion", "zsh")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, "#compdef canic-backup\nautoload -U +X bashcompinit && bashcompinit\n"))
	assert.Contains(t, r.stdout, "complete -F _canic_backup canic-backup")

	r = runCLI(t, "completion", "fish")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "complete -c canic-backup")
	assert.Contains(t, r.stdout, "prune")

	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		r = runCLI(t, args...)
		assert.Equal(t, exitUsage, r.code, args)
	}
}
