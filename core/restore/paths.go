package restore

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/canic-backup/canic-backup/core/layout"
)

// ResolveArtifact turns a plan or journal artifact path into the path an
// executor reads: the backup root joined with the recorded path exactly as
// 0.35.1 joins it (no cleaning, so goldens match byte for byte). It refuses,
// as an ArtifactPathEscapesBackup error naming the source canister, an
// absolute path, any ".." component, and — beyond 0.35.1 — an existing
// symlink along the path that leads out of the backup directory.
func ResolveArtifact(root, source, artifactPath string) (string, error) {
	escape := func(cause error) error {
		return newError(CodeArtifactPathEscapesBackup, "restore artifact path for %s escapes backup root: %s", source, artifactPath).
			withField("artifact_path", artifactPath).wrapping(cause)
	}
	if !lexicallySafe(artifactPath) {
		return "", escape(layout.ErrPathEscapesBackup)
	}
	if _, err := layout.New(root).Resolve(artifactPath); err != nil {
		if isEscape(err) {
			return "", escape(err)
		}
		// The root itself is unreadable or missing; report it as the
		// artifact being missing further on.
	}
	return rustJoin(root, artifactPath), nil
}

func isEscape(err error) bool {
	_, ok := err.(*layout.PathError)
	return ok
}

// lexicallySafe is 0.35.1's rule: relative, and every component a normal
// name or a leading ".".
func lexicallySafe(p string) bool {
	if p == "" || filepath.IsAbs(p) || strings.HasPrefix(p, "/") || filepath.VolumeName(p) != "" {
		return false
	}
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return false
		}
	}
	return true
}

// rustJoin is PathBuf::push of a relative path: a separator is added only
// when root is non-empty and does not already end in one.
func rustJoin(root, p string) string {
	if root == "" || strings.HasSuffix(root, "/") {
		return root + p
	}
	return root + "/" + p
}

// RefuseSymlinkedDir returns an UnsafeControlDirectory error naming path
// when path is a symbolic link or exists and is not a directory: control
// directories (a backup's restores/, a backup being pruned) are never
// written, locked or deleted through a link, which could point anywhere.
// A missing path is fine. what names the directory in the message.
func RefuseSymlinkedDir(path, what string) error {
	info, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case info.Mode()&os.ModeSymlink != 0:
		target, _ := os.Readlink(path)
		return newError(CodeUnsafeControlDir, "%s %s is a symbolic link (to %s); refusing to write through it", what, path, target).
			withField("path", path)
	case !info.IsDir():
		return newError(CodeUnsafeControlDir, "%s %s is not a directory", what, path).withField("path", path)
	}
	return nil
}
