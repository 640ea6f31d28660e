// Package golden locates the compatibility golden files written by the
// original canic-backup 0.35.1 (../shared/compat/canic-0.35.1 beside the
// repository) for tests.
package golden

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvDir overrides the directory that holds canic-0.35.1's golden files.
const EnvDir = "CANIC_COMPAT_DIR"

// Dir returns the canic-0.35.1 golden directory. When it is missing the test
// fails under CI=true and is skipped elsewhere.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv(EnvDir); d != "" {
		return mustExist(t, d)
	}
	root := RepoRoot(t)
	return mustExist(t, filepath.Join(root, "..", "shared", "compat", "canic-0.35.1"))
}

// Path returns the path of one golden file, relative to the canic-0.35.1
// directory (for example "backup/backup-plan.json").
func Path(t testing.TB, rel string) string {
	t.Helper()
	return mustExist(t, filepath.Join(Dir(t), filepath.FromSlash(rel)))
}

// Read returns the bytes of one golden file.
func Read(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(Path(t, rel))
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	return b
}

// RepoRoot walks up from the working directory to the directory holding go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("golden: no go.mod above the working directory")
		}
		dir = parent
	}
}

func mustExist(t testing.TB, p string) string {
	t.Helper()
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("golden file missing under CI=true: %v", err)
		}
		t.Skipf("golden file missing (set CI=true to make this fatal): %v", err)
	}
	return p
}
