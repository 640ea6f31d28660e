package usecase

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/restore"
)

// ApplyOptions configure Apply.
type ApplyOptions struct {
	// Plan is the restore plan file.
	Plan string
	// BackupDir is the backup directory whose artifacts are validated
	// ("": none, the journal is blocked).
	BackupDir string
	// OpenSource, when set, returns the backup in a store the plan is
	// applied to (nil: BackupDir). It is called after the plan was read.
	OpenSource func(ctx context.Context) (*Source, error)
	// JournalOut is where the initial apply journal is created ("": none);
	// an existing file is never replaced.
	JournalOut string
	// Render writes the dry run; it is called before the journal is
	// created, and an error stops Apply there.
	Render func(*restore.DryRun) error
	// Progress receives Fetched and Checked events.
	Progress Progress
}

// Apply is `restore apply --dry-run`: it renders the plan's operations,
// validates its artifacts (in BackupDir, or checked in a remote store by
// streaming them, with the same checks and the same journal a full local
// copy gives) and creates the initial apply journal. A failed verification
// is a *VerificationFailed.
func Apply(ctx context.Context, opts ApplyOptions) (*restore.DryRun, error) {
	p, err := restore.ReadPlan(opts.Plan)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	// Checked before anything is fetched; checked again atomically below.
	if jout := opts.JournalOut; jout != "" {
		if _, err := os.Lstat(jout); err == nil {
			return nil, fmt.Errorf("%s already exists: refusing to replace an apply journal (it may hold a restore's progress): %w", jout, layout.ErrExists)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("stat %s: %w", jout, err)
		}
	}
	d, err := applyDryRun(ctx, opts, p)
	if err != nil {
		return nil, err
	}
	if opts.Render != nil {
		if err := opts.Render(d); err != nil {
			return nil, err
		}
	}
	if jout := opts.JournalOut; jout != "" {
		if err := layout.CreateJSONAtomic(jout, restore.NewJournal(d)); err != nil {
			if errors.Is(err, layout.ErrExists) {
				return nil, fmt.Errorf("%s already exists: refusing to replace an apply journal: %w", jout, err)
			}
			return nil, fmt.Errorf("write %s: %w", jout, err)
		}
	}
	return d, nil
}

// applyDryRun builds the dry run against the backup directory, or with a
// remote source fetches the documents and streams the artifacts of the
// plan's members.
func applyDryRun(ctx context.Context, opts ApplyOptions, p *restore.Plan) (*restore.DryRun, error) {
	var src *Source
	if opts.OpenSource != nil {
		var err error
		if src, err = opts.OpenSource(ctx); err != nil {
			return nil, err
		}
	}
	if src == nil {
		return restore.BuildDryRun(ctx, p, opts.BackupDir)
	}
	if !src.Remote() {
		return restore.BuildDryRun(ctx, p, src.Dir)
	}
	paths, err := src.planArtifacts(ctx, p)
	if err != nil {
		return nil, err
	}
	if err := src.fetch(ctx, opts.Progress, "restore apply", nil); err != nil {
		return nil, err
	}
	sums, err := src.streamedArtifacts(ctx, opts.Progress, "restore apply", paths)
	if err != nil {
		return nil, err
	}
	return restore.BuildStreamedDryRun(ctx, p, src.Dir, sums)
}
