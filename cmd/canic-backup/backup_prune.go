package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/verify"
	"github.com/canic-backup/canic-backup/internal/platform"
)

// Reasons `backup prune` keeps a backup.
const (
	keepRecent     = "within --keep-last"
	keepIncomplete = "not complete"
	keepVerified   = "newest verified backup"
	keepRestoring  = "an unfinished restore reads it"
)

// pruneReport is what `backup prune` did or would do (--json).
type pruneReport struct {
	Root     string       `json:"root"`
	DryRun   bool         `json:"dry_run"`
	KeepLast int          `json:"keep_last"`
	Deleted  []pruneEntry `json:"deleted"`
	Kept     []pruneEntry `json:"kept"`
	// Stale is --stale (remote stores only; absent when not given).
	Stale string `json:"stale,omitempty"`
	// AbortedUploads counts the unfinished multipart uploads older than
	// --stale that were aborted (absent without --stale or in a dry run).
	AbortedUploads *int `json:"aborted_uploads,omitempty"`
}

// pruneEntry is one backup and why it goes or stays.
type pruneEntry struct {
	Dir       string `json:"dir"`
	BackupID  string `json:"backup_id"`
	CreatedAt string `json:"created_at"`
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	// name is the backup's name in a store.
	name string
}

// backupPruneCommand is `backup prune`.
func backupPruneCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "prune",
		Usage:     "delete complete backups older than the newest N, keeping what is still needed",
		UsageText: "canic-backup backup prune --keep-last N [--root DIR | --store NAME] [--config FILE] [--env NAME] [--dry-run] [--json]",
		Description: "Deletes only complete backups (valid manifest, journal done) older than the newest N complete ones.\n" +
			"Never deletes an incomplete backup, the newest backup that passes verification, or a backup an\n" +
			"unfinished restore reads (<backup>/restores/*.json). --dry-run lists what would go.\n\n" +
			"With a store (--store NAME, else $" + envStore + ", else the selected environment's store key;\n" +
			"--root overrides the last two): a dir store prunes its path like --root. In an s3 store the\n" +
			"order is the same (newest first by created_at), a backup without a manifest is never deleted,\n" +
			"the newest backup that passes verification (streamed from the bucket) is kept, and a deleted\n" +
			"backup loses its manifest first. Restore references are only seen for local directories:\n" +
			"a restore from an s3 store reads a fetched copy, which pruning the store does not touch.\n\n" +
			"Examples:\n   canic-backup backup prune --root backups --keep-last 3 --dry-run\n" +
			"   canic-backup backup prune --store offsite --keep-last 7",
		Flags: []cli.Flag{
			rootFlag(),
			storeFlag(),
			configFlag(),
			envFlag(),
			&cli.IntFlag{Name: "keep-last", Value: -1, Usage: "keep the newest `N` complete backups"},
			&cli.BoolFlag{Name: "dry-run", Usage: "list what would be deleted, delete nothing"},
			&cli.DurationFlag{Name: "stale", Usage: "remote store only: also delete backups without a manifest untouched for `DURATION` " +
				"(a publish nobody resumed; never one a live fleet lock names), abort multipart uploads started before it and remove leftover staging objects"},
			jsonFlag(),
		},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return backupPrune(c, e) },
	}
}

// pruneTarget is where prune works: how it lists, verifies, checks restore
// references and deletes, for a root directory or a remote store.
type pruneTarget struct {
	// where names the root or store in the report.
	where string
	scan  func(ctx context.Context) ([]backupEntry, error)
	// verified reports whether the backup passes verification (an error
	// only when the run is cancelled).
	verified func(ctx context.Context, b backupEntry) (bool, error)
	// restoring names unfinished restores reading the backup ("" none).
	restoring func(b backupEntry) (string, error)
	// remove deletes a planned backup; a non-empty reason keeps it.
	remove func(ctx context.Context, d pruneEntry) (string, error)
	// stale, when positive, makes incomplete backups untouched for that
	// long candidates for deletion, unless live names them (the backups
	// a live fleet lease is working on); now is the clock.
	stale time.Duration
	live  map[string]bool
	now   time.Time
}

// dirPruneTarget prunes the backup directories under root.
func dirPruneTarget(root string) pruneTarget {
	return pruneTarget{
		where: root,
		scan:  func(context.Context) ([]backupEntry, error) { return scanBackups(root) },
		verified: func(ctx context.Context, b backupEntry) (bool, error) {
			if _, err := verify.Layout(ctx, b.Dir); err != nil {
				return false, ctx.Err()
			}
			return true, nil
		},
		restoring: func(b backupEntry) (string, error) { return restoringReason(b.Dir) },
		remove: func(ctx context.Context, d pruneEntry) (string, error) {
			return deleteBackup(ctx, root, d.Dir)
		},
	}
}

// storePruneTarget prunes the backups of a remote store: verification
// streams from the store (archive.Verify), deletion is archive.Delete
// (manifest first). Restore references live beside local directories
// only, so none are seen here.
func storePruneTarget(sc *storeChoice) pruneTarget {
	return pruneTarget{
		where: sc.Store.String(),
		scan:  func(ctx context.Context) ([]backupEntry, error) { return scanStore(ctx, sc) },
		verified: func(ctx context.Context, b backupEntry) (bool, error) {
			_, err := archive.Verify(ctx, sc.Store, b.name, archive.VerifyOptions{})
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
		restoring: func(backupEntry) (string, error) { return "", nil },
		remove: func(ctx context.Context, d pruneEntry) (string, error) {
			if err := archive.Delete(ctx, sc.Store, d.name); err != nil {
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

func backupPrune(c *cli.Context, e env) error {
	if err := leafArgs(c); err != nil {
		return err
	}
	if !c.IsSet("keep-last") {
		return usagef("%s: required flag --keep-last is missing", commandName(c))
	}
	keep := c.Int("keep-last")
	if keep < 0 {
		return usagef("%s: --keep-last must be >= 0, got %d", commandName(c), keep)
	}
	root, sc, err := backupsRoot(c, e)
	if err != nil {
		return err
	}
	stale := c.Duration("stale")
	if c.IsSet("stale") && (stale <= 0 || sc == nil || !sc.Remote()) {
		return usagef("%s: --stale needs a remote store (--store) and a positive duration, got %s", commandName(c), stale)
	}
	target := dirPruneTarget(root)
	if sc != nil && sc.Remote() {
		target = storePruneTarget(sc)
		if stale > 0 {
			target.stale, target.now = stale, e.now()
			if target.live, err = archive.LiveBackups(c.Context, sc.Store, target.now); err != nil {
				return err
			}
		}
	}
	report, err := planPrune(c.Context, target, keep)
	if err != nil {
		return err
	}
	report.DryRun = c.Bool("dry-run")
	var delErr error
	if !report.DryRun {
		report.Deleted, delErr = deleteBackups(c.Context, target, report)
	}
	if stale > 0 {
		report.Stale = stale.String()
		if !report.DryRun {
			n, err := archive.AbortStaleUploads(c.Context, sc.Store, target.now.Add(-stale), target.live)
			report.AbortedUploads = &n
			delErr = errors.Join(delErr, err)
		}
	}
	if c.Bool("json") {
		return errors.Join(delErr, writeJSON(e.stdout, report))
	}
	action := "deleted"
	if report.DryRun {
		action = "would delete"
	}
	rows := [][]string{}
	for _, d := range report.Deleted {
		rows = append(rows, []string{action, d.Dir, d.BackupID, displayCreated(d.CreatedAt), d.Status, d.Reason})
	}
	for _, k := range report.Kept {
		rows = append(rows, []string{"keep", k.Dir, k.BackupID, displayCreated(k.CreatedAt), k.Status, k.Reason})
	}
	fmt.Fprintln(e.stdout, renderTable([]string{"ACTION", "DIR", "BACKUP_ID", "CREATED_AT", "STATUS", "REASON"}, rows))
	if report.AbortedUploads != nil {
		fmt.Fprintf(e.stdout, "aborted %d unfinished multipart uploads or leftover staging objects older than %s\n", *report.AbortedUploads,
			target.now.Add(-stale).UTC().Format(time.RFC3339))
	}
	return delErr
}

// planPrune decides, newest first, which backups of the target go.
func planPrune(ctx context.Context, t pruneTarget, keepLast int) (*pruneReport, error) {
	entries, err := t.scan(ctx)
	if err != nil {
		return nil, err
	}
	r := &pruneReport{Root: t.where, KeepLast: keepLast, Deleted: []pruneEntry{}, Kept: []pruneEntry{}}
	complete, verifiedFound := 0, false
	for _, b := range entries {
		pe := pruneEntry{Dir: b.Dir, BackupID: b.BackupID, CreatedAt: b.CreatedAt, Status: b.Status, name: b.name}
		if !b.Complete {
			pe.Reason = keepIncomplete
			if t.stale > 0 && !b.hasManifest && !b.modified.IsZero() && t.now.Sub(b.modified) > t.stale {
				if t.live[b.name] {
					pe.Reason = keepIncomplete + "; a live fleet lock is working on it"
				} else {
					pe.Reason = fmt.Sprintf("not complete and untouched since %s (more than --stale %s)",
						b.modified.UTC().Format(time.RFC3339), t.stale)
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
			ok, err := t.verified(ctx, b)
			if err != nil {
				return nil, err
			}
			verified, verifiedFound = ok, ok
		}
		restoring, refErr := t.restoring(b)
		switch {
		case complete <= keepLast:
			pe.Reason = keepRecent
		case verified:
			pe.Reason = keepVerified
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

// restoringReason names the unfinished restores that read dir ("" for
// none). An unreadable reference is an error, and keeps the backup.
func restoringReason(dir string) (string, error) {
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
	return keepRestoring + " (" + strings.Join(ids, ", ") + ")", nil
}

// deleteBackups deletes the planned backups, each under its lock, after
// checking again that no restore started reading it; a backup that became
// referenced or locked moves to Kept. It returns the backups deleted.
func deleteBackups(ctx context.Context, t pruneTarget, r *pruneReport) ([]pruneEntry, error) {
	deleted := []pruneEntry{}
	var errs error
	for _, d := range r.Deleted {
		reason, err := t.remove(ctx, d)
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

// deleteBackup takes dir's lock, re-checks restore references, renames
// dir to a hidden name (so no reader sees a half-deleted backup) and
// removes it. A non-empty reason means it was kept.
func deleteBackup(ctx context.Context, root, dir string) (string, error) {
	// A symlinked entry is never locked, checked or deleted through: that
	// would write a .lock into (or delete) whatever it points to.
	if err := restore.RefuseSymlinkedDir(dir, "backup"); err != nil {
		return "", fmt.Errorf("prune %s: %w", dir, err)
	}
	lock, err := layout.New(dir).AcquireLock(ctx, layout.LockOptions{Command: "canic-backup backup prune"})
	if err != nil {
		return "", fmt.Errorf("prune %s: %w", dir, err)
	}
	reason, err := restoringReason(dir)
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
