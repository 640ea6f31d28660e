package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/plan"
)

// File names of the four layout documents.
const (
	ManifestFile         = layout.ManifestFile
	DownloadJournalFile  = layout.DownloadJournalFile
	PlanFile             = layout.PlanFile
	ExecutionJournalFile = layout.ExecutionJournalFile
)

// readDoc reads root/name and decodes it into v, reporting failures against
// the file's path.
func readDoc(root, name string, v any) error {
	path := filepath.Join(root, name)
	err := layout.ReadJSON(path, v)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return fail(CodeUnreadable, path, err, "%s is missing", name)
	default:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return fail(CodeUnreadable, path, err, "read %s: %v", name, pe.Err)
		}
		return fail(CodeUnreadable, path, err, "decode %s: %v", name, strings.TrimPrefix(err.Error(), path+": "))
	}
}

// ReadManifest reads and validates root/fleet-backup-manifest.json.
func ReadManifest(root string) (*manifest.FleetBackupManifest, error) {
	var m manifest.FleetBackupManifest
	if err := readDoc(root, ManifestFile, &m); err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, wrap(CodeInvalidManifest, filepath.Join(root, ManifestFile), err)
	}
	return &m, nil
}

// ReadDownloadJournal reads and validates root/download-journal.json.
func ReadDownloadJournal(root string) (*journal.DownloadJournal, error) {
	var j journal.DownloadJournal
	if err := readDoc(root, DownloadJournalFile, &j); err != nil {
		return nil, err
	}
	if err := j.Validate(); err != nil {
		return nil, wrap(CodeInvalidJournal, filepath.Join(root, DownloadJournalFile), err)
	}
	return &j, nil
}

// ReadPlan reads and validates root/backup-plan.json.
func ReadPlan(root string) (*plan.BackupPlan, error) {
	var p plan.BackupPlan
	if err := readDoc(root, PlanFile, &p); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, wrap(CodeInvalidBackupPlan, filepath.Join(root, PlanFile), err)
	}
	return &p, nil
}

// ReadExecutionJournal reads and validates root/backup-execution-journal.json.
func ReadExecutionJournal(root string) (*journal.BackupExecutionJournal, error) {
	var j journal.BackupExecutionJournal
	if err := readDoc(root, ExecutionJournalFile, &j); err != nil {
		return nil, err
	}
	if err := j.Validate(); err != nil {
		return nil, wrap(CodeInvalidExecutionJournal, filepath.Join(root, ExecutionJournalFile), err)
	}
	return &j, nil
}

// ManifestExists reports whether root holds a manifest file.
func ManifestExists(root string) (bool, error) {
	path := filepath.Join(root, ManifestFile)
	ok, err := layout.Exists(path)
	if err != nil {
		return false, fmt.Errorf("stat %s: %w", path, err)
	}
	return ok, nil
}
