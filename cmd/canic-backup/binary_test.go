package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBinaryExitCodes builds the real binary and checks the exit codes and
// streams a script sees.
func TestBinaryExitCodes(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "canic-backup")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	dir := filepath.Join(t.TempDir(), "backup")
	goldenBackup(t, dir)
	runBin := func(args ...string) (int, string, string) {
		cmd := exec.Command(bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), stdout.String(), stderr.String()
		}
		require.NoError(t, err)
		return 0, stdout.String(), stderr.String()
	}

	code, stdout, stderr := runBin("backup", "verify", "--dir", dir, "--json")
	assert.Equal(t, exitOK, code, stderr)
	assert.True(t, strings.HasSuffix(stdout, "}\n"))
	assert.False(t, strings.HasSuffix(stdout, "\n\n"))

	code, stdout, stderr = runBin("backup", "verify")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "--dir")

	code, _, stderr = runBin("manifest", "validate", "--manifest", filepath.Join(dir, "absent.json"))
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "absent.json")

	artifact := filepath.Join(dir, demoRoot, "wasm_module.bin")
	require.NoError(t, os.WriteFile(artifact, []byte("tampered"), 0o644))
	code, stdout, stderr = runBin("backup", "verify", "--dir", dir)
	assert.Equal(t, exitVerifyFailed, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, filepath.Join(dir, demoRoot))
}
