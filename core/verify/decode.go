package verify

import (
	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/wire"
)

// DecodeManifest decodes and validates a manifest read from elsewhere than
// a backup directory (a store); path names it in the *VerificationError
// (CodeUnreadable or CodeInvalidManifest).
func DecodeManifest(data []byte, path string) (*manifest.FleetBackupManifest, error) {
	var m manifest.FleetBackupManifest
	if err := wire.Unmarshal(data, &m); err != nil {
		return nil, fail(CodeUnreadable, path, err, "decode %s: %v", ManifestFile, err)
	}
	if err := m.Validate(); err != nil {
		return nil, wrap(CodeInvalidManifest, path, err)
	}
	return &m, nil
}

// DecodeDownloadJournal decodes and validates a download journal
// (CodeUnreadable or CodeInvalidJournal against path).
func DecodeDownloadJournal(data []byte, path string) (*journal.DownloadJournal, error) {
	var j journal.DownloadJournal
	if err := wire.Unmarshal(data, &j); err != nil {
		return nil, fail(CodeUnreadable, path, err, "decode %s: %v", DownloadJournalFile, err)
	}
	if err := j.Validate(); err != nil {
		return nil, wrap(CodeInvalidJournal, path, err)
	}
	return &j, nil
}

// DecodePlan decodes and validates a backup plan (CodeUnreadable or
// CodeInvalidBackupPlan against path).
func DecodePlan(data []byte, path string) (*plan.BackupPlan, error) {
	var p plan.BackupPlan
	if err := wire.Unmarshal(data, &p); err != nil {
		return nil, fail(CodeUnreadable, path, err, "decode %s: %v", PlanFile, err)
	}
	if err := p.Validate(); err != nil {
		return nil, wrap(CodeInvalidBackupPlan, path, err)
	}
	return &p, nil
}

// DecodeExecutionJournal decodes and validates a backup execution journal
// (CodeUnreadable or CodeInvalidExecutionJournal against path).
func DecodeExecutionJournal(data []byte, path string) (*journal.BackupExecutionJournal, error) {
	var j journal.BackupExecutionJournal
	if err := wire.Unmarshal(data, &j); err != nil {
		return nil, fail(CodeUnreadable, path, err, "decode %s: %v", ExecutionJournalFile, err)
	}
	if err := j.Validate(); err != nil {
		return nil, wrap(CodeInvalidExecutionJournal, path, err)
	}
	return &j, nil
}
