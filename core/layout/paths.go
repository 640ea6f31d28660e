package layout

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/canic-backup/canic-backup/internal/platform"
)

// Path errors.
var (
	// ErrPathEscapesBackup: a recorded path is absolute, uses "..", or leads
	// out of the backup directory through a symlink (0.35.1's
	// ArtifactPathEscapesBackup).
	ErrPathEscapesBackup = errors.New("artifact path escapes backup")
	// ErrArtifactExists: finalization found the artifact already present.
	ErrArtifactExists = errors.New("artifact path already exists")
)

// PathError reports a recorded path that may not be used.
type PathError struct {
	// Path is the path as recorded.
	Path string
	// Reason says what is wrong with it.
	Reason string
}

// Error renders `artifact path escapes backup: "<path>" (<reason>)`.
func (e *PathError) Error() string {
	return fmt.Sprintf("%s: %q (%s)", ErrPathEscapesBackup, e.Path, e.Reason)
}

// Is matches ErrPathEscapesBackup.
func (e *PathError) Is(target error) bool { return target == ErrPathEscapesBackup }

// Resolve turns a path recorded in a journal or manifest (relative to the
// backup directory, '/'-separated) into a path under the root. It refuses
// empty and absolute paths, any ".." component, and any existing symlink
// along the way whose target lies outside the root. "." components are
// ignored as 0.35.1 does. The result need not exist.
func (l BackupLayout) Resolve(rel string) (string, error) {
	if rel == "" {
		return "", &PathError{Path: rel, Reason: "empty path"}
	}
	if filepath.IsAbs(rel) || strings.HasPrefix(rel, "/") || filepath.VolumeName(rel) != "" {
		return "", &PathError{Path: rel, Reason: "absolute path"}
	}
	var parts []string
	for _, c := range strings.Split(filepath.ToSlash(rel), "/") {
		switch c {
		case "", ".":
			continue
		case "..":
			return "", &PathError{Path: rel, Reason: "parent-directory component"}
		}
		parts = append(parts, c)
	}
	if len(parts) == 0 {
		return "", &PathError{Path: rel, Reason: "names the backup directory itself"}
	}
	realRoot, err := filepath.EvalSymlinks(l.Root)
	if err != nil {
		return "", fmt.Errorf("resolve backup directory %s: %w", l.Root, err)
	}
	realRoot, err = filepath.Abs(realRoot)
	if err != nil {
		return "", err
	}
	cur := l.Root
	for _, c := range parts {
		cur = filepath.Join(cur, c)
		fi, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			break // nothing below a missing component can be a symlink
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		target, err := filepath.EvalSymlinks(cur)
		if err != nil {
			return "", &PathError{Path: rel, Reason: "dangling or looping symlink"}
		}
		target, err = filepath.Abs(target)
		if err != nil {
			return "", err
		}
		if !within(realRoot, target) {
			return "", &PathError{Path: rel, Reason: "symlink leads outside the backup directory"}
		}
	}
	return filepath.Join(append([]string{l.Root}, parts...)...), nil
}

func within(root, p string) bool {
	r, err := filepath.Rel(root, p)
	if err != nil {
		return false
	}
	return r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && !filepath.IsAbs(r)
}

// ResolveTempPath turns a download journal's temp_path into a path under the
// root. canic-backup records the bare relative name (<safe>.tmp); 0.35.1
// recorded the root-joined path as given on its command line (for example
// backups/fleet-demo-20260512-140000/<safe>.tmp, relative to the working
// directory it ran in), so for such a value only its last element is used,
// which must be a "<name>.tmp" entry directly under the root.
func (l BackupLayout) ResolveTempPath(recorded string) (string, error) {
	name := filepath.Base(filepath.FromSlash(recorded))
	if recorded == "" || name == "." || name == ".." || name == string(filepath.Separator) ||
		!strings.HasSuffix(name, TempSuffix) || name == TempSuffix {
		return "", &PathError{Path: recorded, Reason: "not a <name>.tmp download directory"}
	}
	return l.Resolve(name)
}

// PrepareTempDir empties and recreates the in-flight download directory of
// a canister and returns its path.
func (l BackupLayout) PrepareTempDir(canisterID string) (string, error) {
	p := l.TempPath(canisterID)
	if err := os.RemoveAll(p); err != nil {
		return "", err
	}
	if err := os.MkdirAll(p, 0o755); err != nil {
		return "", err
	}
	return p, nil
}

// FinalizeArtifact renames a finished temp directory (an absolute or
// root-relative path from ResolveTempPath) to the canister's artifact path
// and fsyncs the root. It refuses when the artifact already exists
// (ErrArtifactExists, "artifact path already exists: <path>").
func (l BackupLayout) FinalizeArtifact(tempPath, canisterID string) (string, error) {
	dst := l.ArtifactPath(canisterID)
	exists, err := Exists(dst)
	if err != nil {
		return "", err
	}
	if exists {
		return "", fmt.Errorf("%w: %s", ErrArtifactExists, dst)
	}
	if err := platform.Rename(tempPath, dst); err != nil {
		return "", err
	}
	if err := SyncDir(l.Root); err != nil {
		return "", err
	}
	return dst, nil
}
