package usecase

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/canic-backup/canic-backup/core/restore"
)

// ExecutorOpener opens the RestoreExecutor of an environment and returns
// it with its closer.
type ExecutorOpener func(ctx context.Context, envName string) (restore.RestoreExecutor, func() error, error)

// RunOptions configure Run.
type RunOptions struct {
	// Runner configures the guarded runner (journal, mode, steps, preview,
	// clock, lock command); its Executor is set by Run.
	Runner restore.RunOptions
	// Env names the environment whose executor Open opens.
	Env string
	// Open opens the executor of ModeExecute (nil: none is available).
	Open ExecutorOpener
	// Preflight, when set, checks the opened executor before anything
	// runs (for example that every target can pay for its uploads).
	Preflight func(ctx context.Context, ex restore.RestoreExecutor) error
	// OpenSource, when set, returns the store the journal's artifacts are
	// streamed from during ModeExecute (nil: they are read in place); it
	// is handed the journal. Run sets the Source's Dir to the journal's
	// backup_root, and reads a dir store's own directory in place.
	OpenSource func(ctx context.Context, j *restore.Journal) (*Source, error)
	// KeepFetched keeps each streamed artifact after its upload.
	KeepFetched bool
	// Progress receives Fetched and RemoveFailed events.
	Progress Progress
}

// Run is `restore run`: it opens the source and the executor of
// ModeExecute, runs the preflight, and drives the journal through
// restore.Run. As restore.Run, it returns the response whenever the
// journal could be read, also together with an error. A fetch that found
// the store's bytes bad makes the error a *VerificationFailed.
func Run(ctx context.Context, opts RunOptions) (*restore.RunResponse, error) {
	ro := opts.Runner
	ro.Executor = nil
	var s *streamer
	if ro.Mode == restore.ModeExecute {
		if opts.Open == nil {
			return nil, fmt.Errorf("restore run --execute: no executor is available for environment %q (executors from the configuration are not wired into restore yet); preview with --dry-run: %w",
				opts.Env, restore.CodeNoExecutor)
		}
		var err error
		if s, err = openStreamer(ctx, opts); err != nil {
			return nil, err
		}
		ex, closeFn, err := opts.Open(ctx, opts.Env)
		if err != nil {
			return nil, fmt.Errorf("restore run --execute: executor for environment %q: %w", opts.Env, err)
		}
		defer func() { _ = closeFn() }()
		if opts.Preflight != nil {
			if err := opts.Preflight(ctx, ex); err != nil {
				return nil, fmt.Errorf("restore run --execute: preflight: %w", err)
			}
		}
		ro.Executor = ex
		if s != nil {
			ro.Executor = s.wrap(ex)
		}
	}
	resp, err := restore.Run(ctx, ro)
	if s != nil {
		err = s.finish(opts.Progress, err)
	}
	return resp, err
}

// openStreamer opens the source the journal's artifacts are streamed from:
// nil when none is asked for or the journal reads a dir store's own
// directory.
func openStreamer(ctx context.Context, opts RunOptions) (*streamer, error) {
	if opts.OpenSource == nil {
		return nil, nil
	}
	j, err := restore.ReadJournal(opts.Runner.Journal)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	src, err := opts.OpenSource(ctx, j)
	if err != nil || src == nil {
		return nil, err
	}
	if j.BackupRoot == nil {
		return nil, fmt.Errorf("journal %s records no backup_root: %w", opts.Runner.Journal, restore.CodeMissingField)
	}
	root := *j.BackupRoot
	if src.StoreDir != "" && sameDir(filepath.Join(src.StoreDir, src.Backup), root) {
		return nil, nil // the journal reads the dir store's own directory
	}
	src.Dir = root
	return newStreamer(ctx, src, j, opts.Runner.Journal, opts.KeepFetched)
}

// RequireComplete is `--require-complete`: an error unless the journal is
// complete.
func RequireComplete(resp *restore.RunResponse) error {
	if resp.Complete {
		return nil
	}
	return fmt.Errorf("restore apply journal for backup %s is incomplete: completed=%d, total=%d: %w",
		resp.BackupID, resp.CompletedOperations, resp.OperationCount, restore.CodeApplyIncomplete)
}

// RequireNoAttention is `--require-no-attention`: an error when the
// journal needs attention.
func RequireNoAttention(resp *restore.RunResponse) error {
	if !resp.AttentionRequired {
		return nil
	}
	return fmt.Errorf("restore apply report for backup %s requires attention: outcome=%s: %w",
		resp.BackupID, resp.Outcome.RustName(), restore.CodeNeedsAttention)
}
