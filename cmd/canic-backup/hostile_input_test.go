package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A directory that is not there (or is a file) is an operator error, exit
// 1 naming it, not a corrupt backup (exit 3).
func TestVerifyMissingDirectoryExitsOne(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nonexistent")
	r := runMain(t, "backup", "verify", "--dir", missing)
	assert.Equal(t, exitFailure, r.code, r.stderr)
	assert.Contains(t, r.stderr, missing+": no such directory")

	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o600))
	r = runMain(t, "backup", "verify", "--dir", file)
	assert.Equal(t, exitFailure, r.code, r.stderr)
	assert.Contains(t, r.stderr, file+": not a directory")
}
