package restore

import (
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
