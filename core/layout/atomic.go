package layout

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/atomicfile"
)

// ErrExists: a create-only write found its destination already present
// (atomicfile.ErrExists).
var ErrExists = atomicfile.ErrExists

// WriteFileAtomic replaces path with data durably: it writes a unique temp
// file in the same directory, fsyncs it, renames it over path and fsyncs the
// directory. A reader sees either the old or the new content, never a
// partial file; on error the temp file is removed. The parent directory is
// created if missing.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	return atomicfile.WriteFile(path, data, perm)
}

// CreateFileAtomic is WriteFileAtomic that refuses to replace an existing
// file (it publishes with a hard link): the error matches ErrExists.
func CreateFileAtomic(path string, data []byte, perm fs.FileMode) error {
	return atomicfile.CreateFile(path, data, perm)
}

// WriteJSONAtomic writes v with wire.MarshalPretty (no trailing newline)
// through WriteFileAtomic, with mode 0644.
func WriteJSONAtomic(path string, v any) error {
	data, err := wire.MarshalPretty(v)
	if err != nil {
		return fmt.Errorf("%s: encode: %w", path, err)
	}
	return WriteFileAtomic(path, data, 0o644)
}

// CreateJSONAtomic is WriteJSONAtomic that refuses to replace an existing
// file (ErrExists), for documents that are published once.
func CreateJSONAtomic(path string, v any) error {
	data, err := wire.MarshalPretty(v)
	if err != nil {
		return fmt.Errorf("%s: encode: %w", path, err)
	}
	return CreateFileAtomic(path, data, 0o644)
}

// ReadJSON reads path and decodes it strictly with wire.Unmarshal. Decoding
// errors are prefixed with the path, e.g.
// `dir/backup-plan.json: missing field "plan_id" at $`, and still match
// wire's sentinels; a missing file matches fs.ErrNotExist.
func ReadJSON(path string, v any) error {
	data, err := readRegular(path)
	if err != nil {
		return err // *fs.PathError names the file
	}
	if err := wire.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Exists reports whether something exists at path (symlinks are not
// followed). Errors other than "does not exist" are returned.
func Exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, err
	}
}

// SyncDir fsyncs a directory so renames and creations in it are durable.
// On Windows, where a directory cannot be fsynced, it only checks that dir
// exists: the renames are made durable by MOVEFILE_WRITE_THROUGH instead
// (docs/safety.md, "Platforms").
func SyncDir(dir string) error { return atomicfile.SyncDir(dir) }

// Publish renames a staged file or directory to its final name without
// ever replacing something already there (the error then matches
// ErrExists); see atomicfile.Publish.
func Publish(staged, final string) error { return atomicfile.Publish(staged, final) }

// HasPlan reports whether backup-plan.json exists.
func (l BackupLayout) HasPlan() (bool, error) { return Exists(l.PlanPath()) }

// HasExecutionJournal reports whether backup-execution-journal.json exists.
func (l BackupLayout) HasExecutionJournal() (bool, error) {
	return Exists(l.ExecutionJournalPath())
}

// HasDownloadJournal reports whether download-journal.json exists.
func (l BackupLayout) HasDownloadJournal() (bool, error) {
	return Exists(l.DownloadJournalPath())
}

// HasManifest reports whether fleet-backup-manifest.json exists.
func (l BackupLayout) HasManifest() (bool, error) { return Exists(l.ManifestPath()) }
