package verify

import "github.com/canic-backup/canic-backup/core/journal"

// LayoutStatus labels an executable backup layout (0.35.1's
// execution_layout_status).
type LayoutStatus string

// Layout status labels.
const (
	StatusComplete LayoutStatus = "complete"
	StatusFailed   LayoutStatus = "failed"
	StatusRunning  LayoutStatus = "running"
	StatusDryRun   LayoutStatus = "dry-run"
)

// Status returns "complete" when the manifest exists and every operation is
// completed or skipped; else "failed" when any operation failed; else
// "running" when preflight was accepted or any operation completed; else
// "dry-run".
func Status(j *journal.BackupExecutionJournal, manifestExists bool) LayoutStatus {
	var done, failed, completed int
	for _, op := range j.Operations {
		switch op.State {
		case journal.StateCompleted:
			done++
			completed++
		case journal.StateSkipped:
			done++
		case journal.StateFailed:
			failed++
		}
	}
	switch {
	case manifestExists && done == len(j.Operations):
		return StatusComplete
	case failed > 0:
		return StatusFailed
	case j.PreflightAccepted || completed > 0:
		return StatusRunning
	}
	return StatusDryRun
}
