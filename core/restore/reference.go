package restore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/wire"
)

// ReferencesDir is the directory inside a backup where unfinished restores
// record that they read the backup (so `backup prune` keeps it).
const ReferencesDir = "restores"

// ReferenceVersion is the only restore reference version.
const ReferenceVersion uint16 = 1

// Reference is <backup-dir>/restores/<id>.json: written when a restore run
// starts executing, removed when its journal completes.
type Reference struct {
	ReferenceVersion uint16 `json:"reference_version"`
	// RestoreID is the file's stem, derived from the journal's absolute path.
	RestoreID string `json:"restore_id"`
	// BackupID is the journal's backup id.
	BackupID string `json:"backup_id"`
	// Journal is the absolute path of the apply journal.
	Journal string `json:"journal"`
	// StartedAt marks when the reference was first written.
	StartedAt string `json:"started_at"`
}

// ReferenceID is the restore id of a journal path: the first 16 hex digits
// of the SHA-256 of its absolute path.
func ReferenceID(journalPath string) (string, error) {
	abs, err := filepath.Abs(journalPath)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs))
	return hex.EncodeToString(sum[:8]), nil
}

// ReferencePath is <backupRoot>/restores/<id>.json.
func ReferencePath(backupRoot, id string) string {
	return filepath.Join(backupRoot, ReferencesDir, id+".json")
}

// ListReferences returns the unfinished restores that read backupRoot.
// A missing restores directory means none.
func ListReferences(backupRoot string) ([]Reference, error) {
	dir := filepath.Join(backupRoot, ReferencesDir)
	if err := RefuseSymlinkedDir(dir, "restore references directory"); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Reference
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		var ref Reference
		if err := layout.ReadJSON(filepath.Join(dir, e.Name()), &ref); err != nil {
			return nil, newError(CodeInvalidRestoreReference, "invalid restore reference %s: %v", filepath.Join(dir, e.Name()), err).wrapping(err)
		}
		out = append(out, ref)
	}
	return out, nil
}

func (r *runner) acquireReference() error {
	if r.ref != nil || r.j.BackupRoot == nil {
		return nil
	}
	id, err := ReferenceID(r.opts.Journal)
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(r.opts.Journal)
	path := ReferencePath(*r.j.BackupRoot, id)
	if err := RefuseSymlinkedDir(filepath.Dir(path), "restore references directory"); err != nil {
		return err
	}
	ref := Reference{ReferenceVersion: ReferenceVersion, RestoreID: id, BackupID: r.j.BackupID, Journal: abs, StartedAt: r.opts.marker()}
	var old Reference
	if err := layout.ReadJSON(path, &old); err == nil {
		ref.StartedAt = old.StartedAt
	}
	if err := layout.WriteJSONAtomic(path, ref); err != nil {
		return err
	}
	r.ref = &ref
	return nil
}

func (r *runner) releaseReference() error {
	if r.j.BackupRoot == nil {
		return nil
	}
	id, err := ReferenceID(r.opts.Journal)
	if err != nil {
		return err
	}
	path := ReferencePath(*r.j.BackupRoot, id)
	if err := RefuseSymlinkedDir(filepath.Dir(path), "restore references directory"); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return layout.SyncDir(filepath.Dir(path))
}

// expectedHash returns the manifest module hash of a source canister.
func (r *runner) expectedHash(source string) (string, bool, error) {
	if r.hashes == nil {
		if r.opts.ExpectedModuleHash != nil {
			r.hashes = r.opts.ExpectedModuleHash
		} else {
			hashes := map[string]string{}
			if r.j.BackupRoot != nil {
				data, err := layout.ReadDocument(layout.New(*r.j.BackupRoot).ManifestPath(), layout.MaxDocumentSize)
				if err != nil {
					return "", false, newError(CodeExpectedModuleHashUnknown, "cannot read the backup manifest to check module hashes: %v", err).wrapping(err)
				}
				var m manifest.FleetBackupManifest
				if err := wire.Unmarshal(data, &m); err != nil {
					return "", false, newError(CodeExpectedModuleHashUnknown, "%s: %v", layout.New(*r.j.BackupRoot).ManifestPath(), err).wrapping(err)
				}
				for _, mem := range m.Fleet.Members {
					if mem.SourceSnapshot.ModuleHash != nil {
						hashes[mem.CanisterID] = *mem.SourceSnapshot.ModuleHash
					}
				}
			}
			r.hashes = func(s string) (string, bool) { h, ok := hashes[s]; return h, ok }
		}
	}
	h, ok := r.hashes(source)
	return h, ok, nil
}
