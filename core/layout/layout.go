// Package layout owns the on-disk shape of a backup directory (canic-backup
// 0.35.1 §2): the fixed document names, artifact and temp paths, durable
// atomic JSON writes, path-safety checks for artifact paths, and the
// kernel-lock that keeps two runners off one journal.
package layout

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/canic-backup/canic-backup/core/timestamp"
)

// Fixed file names inside a backup directory.
const (
	// PlanFile holds the BackupPlan.
	PlanFile = "backup-plan.json"
	// ExecutionJournalFile holds the BackupExecutionJournal.
	ExecutionJournalFile = "backup-execution-journal.json"
	// DownloadJournalFile holds the DownloadJournal.
	DownloadJournalFile = "download-journal.json"
	// ManifestFile holds the FleetBackupManifest; it is written last.
	ManifestFile = "fleet-backup-manifest.json"
	// LockSuffix is appended to a journal's name to name its lock file.
	LockSuffix = ".lock"
	// TempSuffix is appended to an artifact name for its in-flight
	// download directory.
	TempSuffix = ".tmp"
)

// BackupLayout is one backup directory ("backup root").
type BackupLayout struct {
	// Root is the backup directory, as given (relative or absolute).
	Root string
}

// New returns the layout of the backup directory root.
func New(root string) BackupLayout { return BackupLayout{Root: root} }

// PlanPath is <root>/backup-plan.json.
func (l BackupLayout) PlanPath() string { return filepath.Join(l.Root, PlanFile) }

// ExecutionJournalPath is <root>/backup-execution-journal.json.
func (l BackupLayout) ExecutionJournalPath() string {
	return filepath.Join(l.Root, ExecutionJournalFile)
}

// DownloadJournalPath is <root>/download-journal.json.
func (l BackupLayout) DownloadJournalPath() string {
	return filepath.Join(l.Root, DownloadJournalFile)
}

// ManifestPath is <root>/fleet-backup-manifest.json.
func (l BackupLayout) ManifestPath() string { return filepath.Join(l.Root, ManifestFile) }

// LockPath is <root>/backup-execution-journal.json.lock, the runner's lock
// file (same name as 0.35.1).
func (l BackupLayout) LockPath() string {
	return filepath.Join(l.Root, ExecutionJournalFile+LockSuffix)
}

// ArtifactRelPath is the artifact path recorded in journals and manifests:
// the bare name Safe(canisterID), directly under the root.
func ArtifactRelPath(canisterID string) string { return Safe(canisterID) }

// TempRelPath is the in-flight download directory's path relative to the
// root: Safe(canisterID) + ".tmp". canic-backup records this relative form
// in the download journal's temp_path (0.35.1 recorded root-joined paths
// relative to the working directory; see docs/compat.md).
func TempRelPath(canisterID string) string { return Safe(canisterID) + TempSuffix }

// ArtifactPath is <root>/<Safe(canisterID)>.
func (l BackupLayout) ArtifactPath(canisterID string) string {
	return filepath.Join(l.Root, ArtifactRelPath(canisterID))
}

// TempPath is <root>/<Safe(canisterID)>.tmp.
func (l BackupLayout) TempPath(canisterID string) string {
	return filepath.Join(l.Root, TempRelPath(canisterID))
}

// Safe replaces every character that is not [A-Za-z0-9_-] by '_' (per
// Unicode scalar), 0.35.1's artifact-name rule; principals pass unchanged.
func Safe(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// FileSafe keeps ASCII alphanumerics and '-', '_', '.', maps every other
// character to '-', trims leading and trailing '-', and returns "unknown"
// when nothing is left (0.35.1's file_safe for fleet names).
func FileSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '_' || r == '-' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		return "unknown"
	}
	return out
}

// DefaultRoot is the CLI's default backup directory,
// backups/fleet-<FileSafe(fleet)>-<YYYYMMDD-HHMMSS UTC>, relative to the
// working directory.
func DefaultRoot(fleet string, now time.Time) string {
	return filepath.Join("backups", "fleet-"+FileSafe(fleet)+"-"+timestamp.DirectoryStamp(now))
}
