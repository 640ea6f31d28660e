package usecase

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/verify"
)

// Source is a backup in an artifact store that a restore reads, and the
// local backup directory the restore works on: a dir store's own
// <path>/<backup>, or the directory a remote store's backup is fetched
// into.
type Source struct {
	// Store is the opened store.
	Store store.Store
	// StoreName is its name in the config (named in hints).
	StoreName string
	// StoreDir is a dir store's backups root; "" for a remote store.
	StoreDir string
	// Backup is the backup's name in the store.
	Backup string
	// Dir is the local backup directory.
	Dir string
}

// Remote reports a store whose objects must be fetched into Dir.
func (s *Source) Remote() bool { return s.StoreDir == "" }

// FetchDir is the default local directory a remote store's backup is
// fetched into: <cacheBase>/canic-backup/fetch/<store>/<backup>.
func FetchDir(cacheBase, storeName, backup string) string {
	return filepath.Join(cacheBase, "canic-backup", "fetch", layout.FileSafe(storeName), layout.FileSafe(backup))
}

// ValidBackupName reports whether name is one backup name of a store (a
// single key segment, not a control or lock key).
func ValidBackupName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\\") && !strings.HasPrefix(name, ".canic-") &&
		!strings.HasPrefix(name+"/", archive.LocksPrefix)
}

// VerificationFailed marks an error that is a verification which ran and
// found stored bytes bad (a digest or checksum mismatch, an incomplete
// backup). Its text is its cause's.
type VerificationFailed struct{ Err error }

// Error returns the cause's text.
func (e *VerificationFailed) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *VerificationFailed) Unwrap() error { return e.Err }

// failedVerification marks err (nil stays nil).
func failedVerification(err error) error {
	if err == nil {
		return nil
	}
	return &VerificationFailed{Err: err}
}

// markIntegrity marks err when it found stored bytes that do not match
// their recorded digest or the manifest's checksum.
func markIntegrity(err error) error {
	if integrityError(err) {
		return failedVerification(err)
	}
	return err
}

// integrityError reports an error that found stored bytes bad.
func integrityError(err error) bool {
	var ve *verify.VerificationError
	return errors.Is(err, store.ErrDigestMismatch) || errors.As(err, &ve) || errors.Is(err, archive.ErrIncomplete)
}

// fetch downloads the backup's documents and the artifacts at paths into
// s.Dir and reports a Fetched event.
func (s *Source) fetch(ctx context.Context, progress Progress, what string, paths []string) error {
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return fmt.Errorf("%s: create fetch directory: %w", what, err)
	}
	start := time.Now()
	rep, err := archive.Fetch(ctx, s.Store, s.Backup, s.Dir, archive.FetchOptions{Artifacts: paths})
	if err != nil {
		return markIntegrity(fmt.Errorf("%s: fetch backup %s from %s into %s: %w", what, s.Backup, s.Store, s.Dir, err))
	}
	if rep != nil {
		progress.emit(Fetched{Store: s.Store, Report: *rep, Took: time.Since(start)})
	}
	return s.requireManifest(what)
}

// requireManifest refuses a fetched backup without a manifest (not exit 3:
// nothing was verified and found bad).
func (s *Source) requireManifest(what string) error {
	if _, err := os.Stat(filepath.Join(s.Dir, layout.ManifestFile)); err != nil {
		return fmt.Errorf("%s: backup %s in %s has no %s (not there or incomplete; see `backup list --store %s`): %w",
			what, s.Backup, s.Store, layout.ManifestFile, s.StoreName, store.ErrNotFound)
	}
	return nil
}

// planArtifacts maps the plan's members to the artifact paths the stored
// manifest records for them, refusing a plan of another backup or with a
// member the backup does not hold.
func (s *Source) planArtifacts(ctx context.Context, p *restore.Plan) ([]string, error) {
	data, err := archive.ReadDocument(ctx, s.Store, s.Backup, layout.ManifestFile)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("backup %s in %s has no %s (incomplete or not there; see `backup list --store %s`): %w",
				s.Backup, s.Store, layout.ManifestFile, s.StoreName, err)
		}
		return nil, fmt.Errorf("backup %s in %s: read %s: %w", s.Backup, s.Store, layout.ManifestFile, err)
	}
	m, err := manifest.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s/%s in %s: %w", s.Backup, layout.ManifestFile, s.Store, err)
	}
	if m.BackupID != p.BackupID {
		return nil, fmt.Errorf("the plan is for backup_id %q but backup %s in %s has backup_id %q", p.BackupID, s.Backup, s.Store, m.BackupID)
	}
	paths := map[string]string{}
	for _, mem := range m.Fleet.Members {
		paths[mem.CanisterID] = mem.SourceSnapshot.ArtifactPath
	}
	out := make([]string, 0, len(p.Members))
	for _, mem := range p.Members {
		ap, ok := paths[mem.SourceCanister]
		if !ok {
			return nil, fmt.Errorf("plan member %s (source_canister) is not a member of backup %s in %s", mem.SourceCanister, s.Backup, s.Store)
		}
		out = append(out, ap)
	}
	return out, nil
}

// streamedArtifacts checks the artifacts at paths of the remote backup by
// streaming them from the store (no local copy: each object against its
// recorded SHA-256, each artifact's checksum against the manifest) and
// returns their checksums by path, reporting a Checked event.
func (s *Source) streamedArtifacts(ctx context.Context, progress Progress, what string, paths []string) (*restore.StreamedArtifacts, error) {
	start := time.Now()
	rep, err := archive.VerifyArtifacts(ctx, s.Store, s.Backup, paths, 0)
	if err != nil {
		return nil, markIntegrity(fmt.Errorf("%s: check the artifacts of backup %s in %s: %w", what, s.Backup, s.Store, err))
	}
	progress.emit(Checked{Store: s.Store, Artifacts: len(rep.Checksums), Objects: rep.Objects, Bytes: rep.Bytes, Took: time.Since(start)})
	return &restore.StreamedArtifacts{Checksums: rep.Checksums, Files: rep.Files}, nil
}

// sameDir reports whether a and b name the same directory path.
func sameDir(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}
