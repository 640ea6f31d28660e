package runner

import "github.com/canic-backup/canic-backup/core/layout"

// File names inside a backup directory (aliases of core/layout's).
const (
	PlanFile             = layout.PlanFile
	ExecutionJournalFile = layout.ExecutionJournalFile
	DownloadJournalFile  = layout.DownloadJournalFile
	ManifestFile         = layout.ManifestFile
	// LockFile is the runner's lock inside a backup directory.
	LockFile = layout.ExecutionJournalFile + layout.LockSuffix
)
