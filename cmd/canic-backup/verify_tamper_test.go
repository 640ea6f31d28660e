package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVerifyCLIDetectsTampering: `backup verify` exits 3 and names the
// file for a changed, missing, extra or symlinked artifact file and for a
// manifest that disagrees with its journal.
func TestVerifyCLIDetectsTampering(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, dir string) (named string)
	}{
		{"changed byte", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, demoApp, "memory", "heap.bin")
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			b[0] ^= 0xff
			require.NoError(t, os.WriteFile(p, b, 0o644))
			return filepath.Join(dir, demoApp)
		}},
		{"missing file", func(t *testing.T, dir string) string {
			require.NoError(t, os.Remove(filepath.Join(dir, demoHub, "metadata.json")))
			return filepath.Join(dir, demoHub)
		}},
		{"extra file", func(t *testing.T, dir string) string {
			require.NoError(t, os.WriteFile(filepath.Join(dir, demoRoot, "extra.bin"), []byte("x"), 0o644))
			return filepath.Join(dir, demoRoot)
		}},
		{"symlinked file", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, demoApp, "wasm_module.bin")
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			outside := filepath.Join(t.TempDir(), "same-bytes")
			require.NoError(t, os.WriteFile(outside, b, 0o644))
			require.NoError(t, os.Remove(p))
			require.NoError(t, os.Symlink(outside, p))
			return p
		}},
		{"manifest disagrees with its journal", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "fleet-backup-manifest.json")
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			changed := strings.Replace(string(b), "0000000000000001ffffffffffc000020101", "0000000000000001ffffffffffc0000201ff", 1)
			require.NotEqual(t, string(b), changed)
			require.NoError(t, os.WriteFile(p, []byte(changed), 0o644))
			return filepath.Join(dir, "download-journal.json")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "backup")
			goldenBackup(t, dir)
			require.Equal(t, exitOK, runCLI(t, "backup", "verify", "--dir", dir).code, "the untouched backup verifies")
			named := tc.tamper(t, dir)
			r := runCLI(t, "backup", "verify", "--dir", dir)
			assert.Equal(t, exitVerifyFailed, r.code, r.stderr)
			assert.Contains(t, r.stderr, named)
		})
	}
}
