//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/layout"
)

// runCLIBounded is runCLI that fails the test instead of hanging when the
// command does not return within a minute (a FIFO used to block it).
func runCLIBounded(t *testing.T, args ...string) result {
	t.Helper()
	done := make(chan result, 1)
	go func() { done <- runCLI(t, args...) }()
	select {
	case r := <-done:
		return r
	case <-time.After(time.Minute):
		t.Fatalf("canic-backup %v did not return", args)
		return result{}
	}
}

// TestSpecialFilesAsDocumentsAreRefused: a FIFO in place of a backup's
// manifest does not hang `backup verify` or `backup list --root`; a
// symlink to /dev/zero in its place and `--config /dev/zero` do not grow
// memory: each is refused naming the file and why.
func TestSpecialFilesAsDocumentsAreRefused(t *testing.T) {
	root := t.TempDir()
	fifoDir := filepath.Join(root, "fifo")
	goldenBackup(t, fifoDir)
	manifest := filepath.Join(fifoDir, layout.ManifestFile)
	require.NoError(t, os.Remove(manifest))
	require.NoError(t, syscall.Mkfifo(manifest, 0o600))

	r := runCLIBounded(t, "backup", "verify", "--dir", fifoDir)
	assert.NotEqual(t, exitOK, r.code)
	assert.Contains(t, r.stderr, manifest+": ")
	assert.Contains(t, r.stderr, "is not a regular file (a named pipe)")

	r = runCLIBounded(t, "backup", "list", "--root", root)
	assert.Contains(t, r.stdout+r.stderr, fifoDir)

	zeroDir := filepath.Join(root, "zero")
	goldenBackup(t, zeroDir)
	zero := filepath.Join(zeroDir, layout.ManifestFile)
	require.NoError(t, os.Remove(zero))
	require.NoError(t, os.Symlink("/dev/zero", zero))
	r = runCLIBounded(t, "backup", "verify", "--dir", zeroDir)
	assert.NotEqual(t, exitOK, r.code)
	assert.Contains(t, r.stderr, zero+": ")
	assert.Contains(t, r.stderr, "is a symbolic link")

	r = runCLIBounded(t, "config", "validate", "--config", "/dev/zero")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "/dev/zero: is not a regular file (a character device)")

	big := filepath.Join(root, "big.toml")
	require.NoError(t, os.WriteFile(big, make([]byte, layout.MaxConfigSize+1), 0o600))
	r = runCLIBounded(t, "config", "validate", "--config", big)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, big+": is 1048577 bytes, larger than the 1048576-byte limit")
}
