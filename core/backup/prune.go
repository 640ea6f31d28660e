package backup

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
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/verify"
	"github.com/canic-backup/canic-backup/internal/platform"
)

// Reasons `backup prune` keeps a backup.
const (
	KeepRecent     = "within --keep-last"
	KeepIncomplete = "not complete"
	KeepVerified   = "newest verified backup"
	KeepRestoring  = "an unfinished restore reads it"
)

// Entry is one backup as prune sees it (newest first from the scan).
type Entry struct {
	// Dir names the backup in reports (a directory or a store URL).
	Dir       string
	BackupID  string
	CreatedAt string
	Status    string
	// Complete is true for a valid manifest whose execution journal (if
	// any) has every operation done: prune may delete it.
	Complete bool
	// Name is the backup's name in a store.
	Name string
	// Modified is a stored backup's newest object time and HasManifest
	// whether it has a manifest object (zero for a directory).
	Modified    time.Time
	HasManifest bool
}

// PruneReport is what `backup prune` did or would do (--json).
type PruneReport struct {
	Root     string       `json:"root"`
	DryRun   bool         `json:"dry_run"`
	KeepLast int          `json:"keep_last"`
	Deleted  []PruneEntry `json:"deleted"`
	Kept     []PruneEntry `json:"kept"`
	// Stale is --stale (remote stores only; absent when not given).
	Stale string `json:"stale,omitempty"`
	// AbortedUploads counts the unfinished multipart uploads older than
	// --stale that were aborted (absent without --stale or in a dry run).
	AbortedUploads *int `json:"aborted_uploads,omitempty"`
}

// PruneEntry is one backup and why it goes or stays.
type PruneEntry struct {
	Dir       string `json:"dir"`
	BackupID  string `json:"backup_id"`
	CreatedAt string `json:"created_at"`
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	// Name is the backup's name in a store.
	Name string `json:"-"`
}

// PruneTarget is where prune works: how it lists, verifies, checks restore
// references and deletes, for a root directory or a remote store.
type PruneTarget struct {
	// Where names the root or store in the report.
	Where string
	// Scan lists the backups, newest first.
	Scan func(ctx context.Context) ([]Entry, error)
	// Verified reports whether the backup passes verification (an error
	// only when the run is cancelled).
	Verified func(ctx context.Context, b Entry) (bool, error)
	// Restoring names unfinished restores reading the backup ("" none).
	Restoring func(b Entry) (string, error)
	// Remove deletes a planned backup; a non-empty reason keeps it.
	Remove func(ctx context.Context, d PruneEntry) (string, error)
	// Stale, when positive, makes incomplete backups untouched for that
	// long candidates for deletion, unless Live names them (the backups
	// a live fleet lease is working on); Now is the clock.
	Stale time.Duration
	Live  map[string]bool
	Now   time.Time
}

// DirPruneTarget prunes the backup directories under root that scan lists.
func DirPruneTarget(root string, scan func(ctx context.Context) ([]Entry, error)) PruneTarget {
	return PruneTarget{
		Where: root,
		Scan:  scan,
		Verified: func(ctx context.Context, b Entry) (bool, error) {
			if _, err := verify.Layout(ctx, b.Dir); err != nil {
				return false, ctx.Err()
			}
			return true, nil
		},
		Restoring: func(b Entry) (string, error) { return RestoringReason(b.Dir) },
		Remove: func(ctx context.Context, d PruneEntry) (string, error) {
			return DeleteDir(ctx, root, d.Dir)
		},
	}
}

// StorePruneTarget prunes the backups of the remote store s that scan
// lists: verification streams from the store (archive.Verify), deletion is
// archive.Delete (manifest first). Restore references live beside local
// directories only, so none are seen here.
func StorePruneTarget(s store.Store, scan func(ctx context.Context) ([]Entry, error)) PruneTarget {
	return PruneTarget{
		Where: s.String(),
		Scan:  scan,
		Verified: func(ctx context.Context, b Entry) (bool, error) {
			_, err := archive.Verify(ctx, s, b.Name, archive.VerifyOptions{})
			switch {
			case err == nil:
				return true, nil
			case ctx.Err() != nil:
				return false, ctx.Err()
			case storeVerifyFailed(err):
				return false, nil
			}
			// The store could not be read (network, permissions): whether
			// the backup is good is unknown, so nothing may be decided.
			return false, fmt.Errorf("prune: cannot tell whether %s verifies (nothing deleted): %w", b.Dir, err)
		},
		Restoring: func(Entry) (string, error) { return "", nil },
		Remove: func(ctx context.Context, d PruneEntry) (string, error) {
			if err := archive.Delete(ctx, s, d.Name); err != nil {
				return "", fmt.Errorf("prune %s: %w", d.Dir, err)
			}
			return "", nil
		},
	}
}

// storeVerifyFailed reports a verification of a stored backup that read
// the backup and found it bad (a missing, changed or inconsistent object),
// as opposed to a store that could not be read.
func storeVerifyFailed(err error) bool {
	var ve *verify.VerificationError
	if !errors.As(err, &ve) {
		return false
	}
	return ve.Code != verify.CodeUnreadable || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrDigestMismatch)
}

// PlanPrune decides, newest first, which backups of the target go: only
// complete ones beyond the newest keepLast complete ones, never the newest
// that verifies or one an unfinished restore reads; with t.Stale also
// incomplete ones untouched that long that no live lease names.
func PlanPrune(ctx context.Context, t PruneTarget, keepLast int) (*PruneReport, error) {
	entries, err := t.Scan(ctx)
	if err != nil {
		return nil, err
	}
	r := &PruneReport{Root: t.Where, KeepLast: keepLast, Deleted: []PruneEntry{}, Kept: []PruneEntry{}}
	complete, verifiedFound := 0, false
	for _, b := range entries {
		pe := PruneEntry{Dir: b.Dir, BackupID: b.BackupID, CreatedAt: b.CreatedAt, Status: b.Status, Name: b.Name}
		if !b.Complete {
			pe.Reason = KeepIncomplete
			if t.Stale > 0 && !b.HasManifest && !b.Modified.IsZero() && t.Now.Sub(b.Modified) > t.Stale {
				if t.Live[b.Name] {
					pe.Reason = KeepIncomplete + "; a live fleet lock is working on it"
				} else {
					pe.Reason = fmt.Sprintf("not complete and untouched since %s (more than --stale %s)",
						b.Modified.UTC().Format(time.RFC3339), t.Stale)
					r.Deleted = append(r.Deleted, pe)
					continue
				}
			}
			r.Kept = append(r.Kept, pe)
			continue
		}
		complete++
		verified := false
		if !verifiedFound {
			ok, err := t.Verified(ctx, b)
			if err != nil {
				return nil, err
			}
			verified, verifiedFound = ok, ok
		}
		restoring, refErr := t.Restoring(b)
		switch {
		case complete <= keepLast:
			pe.Reason = KeepRecent
		case verified:
			pe.Reason = KeepVerified
		case refErr != nil:
			pe.Reason = refErr.Error()
		case restoring != "":
			pe.Reason = restoring
		default:
			pe.Reason = "older than the newest " + fmt.Sprint(keepLast) + " complete backups"
			r.Deleted = append(r.Deleted, pe)
			continue
		}
		r.Kept = append(r.Kept, pe)
	}
	return r, nil
}

// RestoringReason names the unfinished restores that read dir ("" for
// none). An unreadable reference is an error, and keeps the backup.
func RestoringReason(dir string) (string, error) {
	refs, err := restore.ListReferences(dir)
	if err != nil {
		return "", fmt.Errorf("kept: %w", err)
	}
	if len(refs) == 0 {
		return "", nil
	}
	ids := make([]string, 0, len(refs))
	for _, ref := range refs {
		ids = append(ids, ref.RestoreID)
	}
	return KeepRestoring + " (" + strings.Join(ids, ", ") + ")", nil
}

// DeletePlanned deletes the backups r plans to delete, each under its
// lock, after checking again that no restore started reading it; a backup
// that became referenced or locked moves to Kept. It returns the backups
// deleted.
func DeletePlanned(ctx context.Context, t PruneTarget, r *PruneReport) ([]PruneEntry, error) {
	deleted := []PruneEntry{}
	var errs error
	for _, d := range r.Deleted {
		reason, err := t.Remove(ctx, d)
		if err != nil {
			errs = errors.Join(errs, err)
			reason = err.Error()
		}
		if reason != "" {
			d.Reason = reason
			r.Kept = append(r.Kept, d)
			continue
		}
		deleted = append(deleted, d)
	}
	return deleted, errs
}

// DeleteDir takes dir's lock, re-checks restore references, renames dir
// to a hidden name under root (so no reader sees a half-deleted backup)
// and removes it. A non-empty reason means it was kept.
func DeleteDir(ctx context.Context, root, dir string) (string, error) {
	// A symlinked entry is never locked, checked or deleted through: that
	// would write a .lock into (or delete) whatever it points to.
	if err := restore.RefuseSymlinkedDir(dir, "backup"); err != nil {
		return "", fmt.Errorf("prune %s: %w", dir, err)
	}
	lock, err := layout.New(dir).AcquireLock(ctx, layout.LockOptions{Command: "canic-backup backup prune"})
	if err != nil {
		return "", fmt.Errorf("prune %s: %w", dir, err)
	}
	reason, err := RestoringReason(dir)
	if err != nil || reason != "" {
		_ = lock.Release()
		return reason, err
	}
	trash := filepath.Join(root, ".prune-"+filepath.Base(dir))
	if err := os.RemoveAll(trash); err != nil {
		_ = lock.Release()
		return "", fmt.Errorf("prune %s: clear %s: %w", dir, trash, err)
	}
	if err := platform.Rename(dir, trash); err != nil {
		_ = lock.Release()
		return "", fmt.Errorf("prune %s: %w", dir, err)
	}
	_ = lock.Release() // its file moved with the directory
	if err := layout.SyncDir(root); err != nil {
		return "", fmt.Errorf("prune %s: %w", dir, err)
	}
	if err := os.RemoveAll(trash); err != nil {
		return "", fmt.Errorf("prune %s: remove %s: %w", dir, trash, err)
	}
	return "", nil
}
