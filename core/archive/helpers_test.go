package archive_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/internal/golden"
)

const (
	rootID = "r7inp-6aaaa-aaaaa-aaabq-cai"
	appID  = "renrk-eyaaa-aaaaa-aaada-cai"
	hubID  = "rno2w-sqaaa-aaaaa-aaacq-cai"
)

// goldenBackup builds a valid backup directory named name under a fresh
// temp dir from the 0.35.1 golden documents and artifacts, and returns its
// path.
func goldenBackup(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, f := range []string{layout.PlanFile, layout.ExecutionJournalFile, layout.DownloadJournalFile, layout.ManifestFile} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), golden.Read(t, "backup/"+f), 0o644))
	}
	src := golden.Path(t, "backup/extra/artifacts")
	require.NoError(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	}))
	return dir
}

// artifactSum returns the recorded checksum of the member's artifact in
// the golden manifest.
func replaceInDocs(t *testing.T, dir, old, new string) {
	t.Helper()
	for _, f := range []string{layout.DownloadJournalFile, layout.ManifestFile} {
		p := filepath.Join(dir, f)
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		require.Contains(t, string(data), old)
		require.NoError(t, os.WriteFile(p, []byte(strings.ReplaceAll(string(data), old, new)), 0o644))
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// filesOf maps every file below dir (slash-separated relative path) to its
// content.
func filesOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	}))
	return out
}
