package runner

import (
	"errors"
	"fmt"
	"os"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/plan"
)

// ErrBackupExists is matched by the error Prepare returns when the
// directory already holds a backup plan.
var ErrBackupExists = errors.New("backup directory already holds a plan")

// Prepare writes a new backup directory for p: backup-plan.json and the
// initial execution journal (every mutating operation blocked until
// preflight). Nothing is executed. The directory is created if needed; one
// that already holds a plan is refused (0.35.1 overwrote it and then reused
// the old download journal).
func Prepare(dir string, p *plan.BackupPlan) (*journal.BackupExecutionJournal, error) {
	s := store{dir: dir}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create backup directory %s: %w", dir, err)
	}
	for _, name := range []string{PlanFile, ExecutionJournalFile, DownloadJournalFile, ManifestFile} {
		if _, err := os.Lstat(s.path(name)); err == nil {
			return nil, fmt.Errorf("%w: %s", ErrBackupExists, s.path(name))
		}
	}
	j, err := journal.FromPlan(p)
	if err != nil {
		return nil, err
	}
	if err := s.writePlan(p); err != nil {
		return nil, err
	}
	if err := s.writeExecution(j); err != nil {
		return nil, err
	}
	return j, nil
}
