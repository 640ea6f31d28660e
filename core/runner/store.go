package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/wire"
)

// LockFile is the runner's lock inside a backup directory.
const LockFile = ExecutionJournalFile + ".lock"

// ErrLocked is matched by the error Run returns when another run holds the
// backup directory's lock.
var ErrLocked = errors.New("backup execution journal is locked")

// LockedError names the lock file another run holds.
type LockedError struct {
	Path string
}

func (e *LockedError) Error() string { return fmt.Sprintf("%v: %s", ErrLocked, e.Path) }

// Unwrap makes the error match ErrLocked.
func (e *LockedError) Unwrap() error { return ErrLocked }

// store reads and writes the documents of one backup directory. Reads
// validate; writes validate, then replace the file atomically (temp file,
// fsync, rename, fsync of the directory).
type store struct {
	dir string
}

func (s store) path(name string) string { return filepath.Join(s.dir, name) }

// lock takes the directory's exclusive run lock and returns its release.
func (s store) lock() (func(), error) {
	p := s.path(LockFile)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil, &LockedError{Path: p}
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	_, werr := f.WriteString("pid=" + strconv.Itoa(os.Getpid()) + "\n")
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(p)
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	return func() { _ = os.Remove(p) }, nil
}

func (s store) exists(name string) bool {
	info, err := os.Stat(s.path(name))
	return err == nil && info.Mode().IsRegular()
}

func (s store) read(name string) ([]byte, error) {
	b, err := os.ReadFile(s.path(name))
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
	return s.writeAtomic(ExecutionJournalFile, b)
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
	return s.writeAtomic(DownloadJournalFile, b)
}

func (s store) writeManifest(m *manifest.FleetBackupManifest) error {
	b, err := m.Encode()
	if err != nil {
		return fmt.Errorf("%s: %w", s.path(ManifestFile), err)
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

// writeAtomic replaces dir/name with data: temp file, fsync, rename, fsync
// of the directory.
func (s store) writeAtomic(name string, data []byte) error {
	target := s.path(name)
	tmp := target + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", target, err)
	}
	if err := os.Rename(tmp, target); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", target, err)
	}
	return syncDir(s.dir)
}

// syncDir fsyncs a directory so a rename inside it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	serr := d.Sync()
	cerr := d.Close()
	if err := errors.Join(serr, cerr); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
