package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/killpoint"
)

// ErrLocked is matched by the error Run returns when another live run
// holds the backup directory's lock (a *layout.LockedError naming the
// holder).
var ErrLocked = layout.ErrLocked

// store reads and writes the documents of one backup directory. Reads
// validate; writes validate, then replace the file atomically (temp file,
// fsync, rename, fsync of the directory).
type store struct {
	dir string
}

func (s store) path(name string) string { return filepath.Join(s.dir, name) }

// lock takes the directory's exclusive run lock (a kernel flock, so a
// crashed run never leaves a lock behind) and returns its release.
func (s store) lock(ctx context.Context) (func(), error) {
	l, err := layout.New(s.dir).AcquireLock(ctx, layout.LockOptions{})
	if err != nil {
		return nil, err
	}
	return func() { _ = l.Release() }, nil
}

func (s store) exists(name string) bool {
	info, err := os.Stat(s.path(name))
	return err == nil && info.Mode().IsRegular()
}

func (s store) read(name string) ([]byte, error) {
	b, err := layout.ReadDocument(s.path(name), layout.MaxDocumentSize)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.path(name), err)
	}
	return b, nil
}

func (s store) readPlan() (*plan.BackupPlan, error) {
	b, err := s.read(PlanFile)
	if err != nil {
		return nil, err
	}
	var p plan.BackupPlan
	if err := wire.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", s.path(PlanFile), err)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", s.path(PlanFile), err)
	}
	return &p, nil
}

func (s store) writePlan(p *plan.BackupPlan) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%s: %w", s.path(PlanFile), err)
	}
	return s.writeJSON(PlanFile, p)
}

func (s store) readExecution() (*journal.BackupExecutionJournal, error) {
	b, err := s.read(ExecutionJournalFile)
	if err != nil {
		return nil, err
	}
	j, err := journal.DecodeExecutionJournal(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.path(ExecutionJournalFile), err)
	}
	return j, nil
}

func (s store) writeExecution(j *journal.BackupExecutionJournal) error {
	b, err := j.Encode()
	if err != nil {
		return fmt.Errorf("%s: %w", s.path(ExecutionJournalFile), err)
	}
	if err := s.writeAtomic(ExecutionJournalFile, b); err != nil {
		return err
	}
	killpoint.Hit(killpoint.RunnerPersisted)
	return nil
}

func (s store) readDownload() (*journal.DownloadJournal, error) {
	b, err := s.read(DownloadJournalFile)
	if err != nil {
		return nil, err
	}
	j, err := journal.DecodeDownloadJournal(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.path(DownloadJournalFile), err)
	}
	return j, nil
}

func (s store) writeDownload(j *journal.DownloadJournal) error {
	b, err := j.Encode()
	if err != nil {
		return fmt.Errorf("%s: %w", s.path(DownloadJournalFile), err)
	}
	if err := s.writeAtomic(DownloadJournalFile, b); err != nil {
		return err
	}
	killpoint.Hit(killpoint.RunnerDownloadPersisted)
	return nil
}

// writeManifest writes m, with prov appended when not nil (m alone is
// encoded exactly as manifest.Encode does).
func (s store) writeManifest(m *manifest.FleetBackupManifest, prov *Provenance) error {
	b, err := m.Encode()
	if err != nil {
		return fmt.Errorf("%s: %w", s.path(ManifestFile), err)
	}
	if prov != nil {
		if b, err = wire.MarshalPretty(manifestDocument{FleetBackupManifest: *m, Provenance: prov}); err != nil {
			return fmt.Errorf("%s: %w", s.path(ManifestFile), err)
		}
	}
	return s.writeAtomic(ManifestFile, b)
}

func (s store) writeJSON(name string, v any) error {
	b, err := wire.MarshalPretty(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", s.path(name), err)
	}
	return s.writeAtomic(name, b)
}

// writeAtomic durably replaces dir/name with data (core/layout: unique
// temp file, fsync, rename, fsync of the directory).
func (s store) writeAtomic(name string, data []byte) error {
	return layout.WriteFileAtomic(s.path(name), data, 0o644)
}
