package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/canic-backup/canic-backup/core/backup"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/archive"
)

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

// pruneEntries converts scanned backups to prune's entries.
func pruneEntries(entries []backupEntry, err error) ([]backup.Entry, error) {
	if err != nil {
		return nil, err
	}
	out := make([]backup.Entry, 0, len(entries))
	for _, b := range entries {
		out = append(out, backup.Entry{Dir: b.Dir, BackupID: b.BackupID, CreatedAt: b.CreatedAt, Status: b.Status,
			Complete: b.Complete, Name: b.name, Modified: b.modified, HasManifest: b.hasManifest})
	}
	return out, nil
}

// pruneTarget is where `backup prune` works: the root directory, or the
// remote store of sc.
func pruneTarget(root string, sc *storeChoice) backup.PruneTarget {
	if sc != nil && sc.Remote() {
		return backup.StorePruneTarget(sc.Store, func(ctx context.Context) ([]backup.Entry, error) {
			return pruneEntries(scanStore(ctx, sc))
		})
	}
	return backup.DirPruneTarget(root, func(context.Context) ([]backup.Entry, error) { return pruneEntries(scanBackups(root)) })
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
	target := pruneTarget(root, sc)
	if stale > 0 {
		target.Stale, target.Now = stale, e.now()
		if target.Live, err = archive.LiveBackups(c.Context, sc.Store, target.Now); err != nil {
			return err
		}
	}
	report, err := backup.PlanPrune(c.Context, target, keep)
	if err != nil {
		return err
	}
	report.DryRun = c.Bool("dry-run")
	var delErr error
	if !report.DryRun {
		report.Deleted, delErr = backup.DeletePlanned(c.Context, target, report)
	}
	if stale > 0 {
		report.Stale = stale.String()
		if !report.DryRun {
			n, err := archive.AbortStaleUploads(c.Context, sc.Store, target.Now.Add(-stale), target.Live)
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
			target.Now.Add(-stale).UTC().Format(time.RFC3339))
	}
	return delErr
}
