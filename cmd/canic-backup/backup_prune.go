package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/verify"
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
}

// pruneEntry is one backup and why it goes or stays.
type pruneEntry struct {
	Dir       string `json:"dir"`
	BackupID  string `json:"backup_id"`
	CreatedAt string `json:"created_at"`
	Status    string `json:"status"`
	Reason    string `json:"reason"`
}

// backupPruneCommand is `backup prune`.
func backupPruneCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "prune",
		Usage:     "delete complete backups older than the newest N, keeping what is still needed",
		UsageText: "canic-backup backup prune --keep-last N [--root DIR] [--dry-run] [--json]",
		Description: "Deletes only complete backups (valid manifest, journal done) older than the newest N complete ones.\n" +
			"Never deletes an incomplete backup, the newest backup that passes verification, or a backup an\n" +
			"unfinished restore reads (<backup>/restores/*.json). --dry-run lists what would go.\n\n" +
			"Example:\n   canic-backup backup prune --root backups --keep-last 3 --dry-run",
		Flags: []cli.Flag{
			rootFlag(),
			&cli.IntFlag{Name: "keep-last", Value: -1, Usage: "keep the newest `N` complete backups"},
			&cli.BoolFlag{Name: "dry-run", Usage: "list what would be deleted, delete nothing"},
			jsonFlag(),
		},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return backupPrune(c, e) },
	}
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
	root := c.String("root")
	report, err := planPrune(c.Context, root, keep)
	if err != nil {
		return err
	}
	report.DryRun = c.Bool("dry-run")
	var delErr error
	if !report.DryRun {
		report.Deleted, delErr = deleteBackups(c.Context, root, report)
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
	return delErr
}

// planPrune decides, newest first, which backups under root go.
func planPrune(ctx context.Context, root string, keepLast int) (*pruneReport, error) {
	entries, err := scanBackups(root)
	if err != nil {
		return nil, err
	}
	r := &pruneReport{Root: root, KeepLast: keepLast, Deleted: []pruneEntry{}, Kept: []pruneEntry{}}
	complete, verifiedFound := 0, false
	for _, b := range entries {
		pe := pruneEntry{Dir: b.Dir, BackupID: b.BackupID, CreatedAt: b.CreatedAt, Status: b.Status}
		if !b.Complete {
			pe.Reason = keepIncomplete
			r.Kept = append(r.Kept, pe)
			continue
		}
		complete++
		verified := false
		if !verifiedFound {
			if _, err := verify.Layout(ctx, b.Dir); err == nil {
				verified, verifiedFound = true, true
			} else if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
		restoring, refErr := restoringReason(b.Dir)
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
func deleteBackups(ctx context.Context, root string, r *pruneReport) ([]pruneEntry, error) {
	deleted := []pruneEntry{}
	var errs error
	for _, d := range r.Deleted {
		reason, err := deleteBackup(ctx, root, d.Dir)
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
	if err := os.Rename(dir, trash); err != nil {
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
