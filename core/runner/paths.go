package runner

import (
	"path/filepath"
	"strings"
)

// File names inside a backup directory (0.35.1 layout).
const (
	PlanFile             = "backup-plan.json"
	ExecutionJournalFile = "backup-execution-journal.json"
	DownloadJournalFile  = "download-journal.json"
	ManifestFile         = "fleet-backup-manifest.json"
)

// SafeSegment returns value with every character outside [A-Za-z0-9_-]
// replaced by '_': the artifact name of a canister.
func SafeSegment(value string) string {
	var b strings.Builder
	for _, r := range value {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// ArtifactRelPath is the artifact path of canisterID relative to the backup
// directory.
func ArtifactRelPath(canisterID string) string { return SafeSegment(canisterID) }

// TempDir is the in-flight download directory of canisterID under dir.
func TempDir(dir, canisterID string) string {
	return filepath.Join(dir, SafeSegment(canisterID)+".tmp")
}
