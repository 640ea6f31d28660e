package verify

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/layout"
)

// joinDisplay joins root and rel the way Rust's Path::join renders them, so
// report paths read like 0.35.1's ("backups/<dir>/<canister>").
func joinDisplay(root, rel string) string {
	switch {
	case root == "":
		return rel
	case strings.HasSuffix(root, "/"):
		return root + rel
	default:
		return root + "/" + rel
	}
}

// resolveArtifact resolves a recorded artifact path under root with
// layout.Resolve (relative, no "..", not the root itself, no symlink out of
// the backup) and then checks, without following links, that every
// component exists and that none is a symbolic link or special file.
func resolveArtifact(root, rel string) (string, error) {
	display := joinDisplay(root, rel)
	if _, err := layout.New(root).Resolve(rel); err != nil {
		if errors.Is(err, layout.ErrPathEscapesBackup) {
			return "", fail(CodeArtifactPathEscapesBackup, display, err, "artifact path escapes backup root: %s", rel)
		}
		return "", fail(CodeUnreadable, display, err, "%v", err)
	}
	cur := root
	if cur == "" {
		cur = "."
	}
	for _, c := range strings.Split(rel, "/") {
		if c == "" || c == "." {
			continue
		}
		cur = filepath.Join(cur, c)
		info, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return "", fail(CodeMissingArtifact, display, err, "artifact path does not exist: %s", display)
		}
		if err != nil {
			return "", fail(CodeUnreadable, display, err, "%v", err)
		}
		if m := info.Mode(); !m.IsDir() && !m.IsRegular() {
			cause := checksum.NewEntryError(cur, m)
			return "", fail(CodeUnsupportedArtifactEntry, cur, cause, "%s", cause.Error())
		}
	}
	return display, nil
}
