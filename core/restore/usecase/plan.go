package usecase

import (
	"context"
	"fmt"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/verify"
)

// PlanOptions configure Plan. Exactly one of BackupDir (or Source) and
// Manifest names the backup; the caller checks that.
type PlanOptions struct {
	// BackupDir is the backup directory whose manifest is planned.
	BackupDir string
	// Manifest is a manifest file planned instead of a backup directory.
	Manifest string
	// Source, when set, is the backup in a store; its Dir is the backup
	// directory (a remote store's documents are fetched into it).
	Source *Source
	// Mapping is the mapping file ("": restore in place).
	Mapping string
	// RequireVerified verifies the backup first: its directory's layout,
	// or a remote store's backup by streaming every object.
	RequireVerified bool
	// Progress receives Fetched events.
	Progress Progress
}

// Plan builds the no-mutation restore plan of a backup (`restore plan`).
// A failed verification is a *VerificationFailed.
func Plan(ctx context.Context, opts PlanOptions) (*restore.Plan, error) {
	dir := opts.BackupDir
	if opts.Source != nil {
		dir = opts.Source.Dir
	}
	var m *manifest.FleetBackupManifest
	if dir != "" {
		if err := preparePlanSource(ctx, opts, dir); err != nil {
			return nil, err
		}
		var err error
		if m, err = verify.ReadManifest(dir); err != nil {
			return nil, err
		}
	} else {
		data, err := layout.ReadDocument(opts.Manifest, layout.MaxDocumentSize)
		if err != nil {
			return nil, fmt.Errorf("read manifest: %w", err)
		}
		if m, err = manifest.Decode(data); err != nil {
			return nil, fmt.Errorf("%s: %w", opts.Manifest, err)
		}
	}
	var mapping *restore.Mapping
	if opts.Mapping != "" {
		var err error
		if mapping, err = restore.ReadMapping(opts.Mapping); err != nil {
			return nil, fmt.Errorf("read mapping: %w", err)
		}
	}
	return restore.BuildPlan(m, mapping)
}

// RequireReady is `--require-restore-ready`: an error unless p is
// restore-ready.
func RequireReady(p *restore.Plan) error {
	if p.ReadinessSummary.Ready {
		return nil
	}
	return fmt.Errorf("restore plan for backup %s is not restore-ready: reasons=%s: %w",
		p.BackupID, restore.DebugStrings(p.ReadinessSummary.Reasons), restore.CodeNotReady)
}

// preparePlanSource prepares the backup directory dir: from a remote store
// it verifies the stored backup (RequireVerified, streaming) and fetches
// the documents; otherwise RequireVerified verifies dir's layout.
func preparePlanSource(ctx context.Context, opts PlanOptions, dir string) error {
	src := opts.Source
	if src == nil || !src.Remote() {
		if opts.RequireVerified {
			if _, err := verify.Layout(ctx, dir); err != nil {
				return failedVerification(err)
			}
		}
		return nil
	}
	if opts.RequireVerified {
		if _, err := archive.Verify(ctx, src.Store, src.Backup, archive.VerifyOptions{}); err != nil {
			return markIntegrity(fmt.Errorf("verify backup %s in %s: %w", src.Backup, src.Store, err))
		}
	}
	return src.fetch(ctx, opts.Progress, "restore plan", nil)
}
