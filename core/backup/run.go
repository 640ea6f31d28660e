package backup

import (
	"context"
	"errors"
	"time"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/registry"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/verify"
)

// ExecOptions are the options of one execution of a planned backup (the
// run of `backup create`, `backup resume` and `backup run`).
type ExecOptions struct {
	// Runner configures the engine; its Sink is set from Target.
	Runner runner.Config
	// Executor is the opened executor (the CLI opens it: core knows
	// nothing of plugins).
	Executor runner.Executor
	// Close, when set, closes the executor right after the run; its error
	// joins the run's.
	Close func() error
	// Target is the run's place in a store (nil: a plain directory).
	Target *Target
	// Sunk is true when an earlier run of this backup already sent
	// artifacts to the store (SunkArtifacts): the sink is kept even with
	// KeepLocal.
	Sunk bool
	// RetryHint is the command that retries a failed publish.
	RetryHint string
}

// ExecResult is what an execution did: the engine's response, its error
// (with a lost lease joined) and, when a remote store's run completed, the
// publish's report and error.
type ExecResult struct {
	Response   *runner.Response
	RunErr     error
	Published  *archive.PublishReport
	PublishErr error
}

// Execute runs the plan in o.Runner.Dir through o.Executor, streaming
// artifacts into the target's store when it has a sink, and publishes the
// backup when a remote store's run completed. The error is one that came
// before the run (the sink could not be opened); how the run ended is in
// the result.
func Execute(ctx context.Context, o ExecOptions) (*ExecResult, error) {
	cfg := o.Runner
	if o.Target != nil {
		sink, err := o.Target.ArtifactSink(o.Sunk)
		if err != nil {
			return nil, err
		}
		cfg.Sink = sink
	}
	resp, runErr := runner.Run(ctx, cfg, o.Executor)
	if o.Close != nil {
		runErr = errors.Join(runErr, o.Close())
	}
	res := &ExecResult{Response: resp, RunErr: runErr}
	if o.Target != nil {
		res.RunErr = o.Target.Settle(runErr)
	}
	if res.RunErr == nil && resp != nil && resp.Complete && o.Target.IsRemote() {
		res.Published, res.PublishErr = o.Target.Publish(ctx, o.RetryHint)
	}
	return res, nil
}

// CreateOptions are the options of `backup create` once its environment
// and store are chosen.
type CreateOptions struct {
	// Target is the run's place in a store (nil: a plain directory).
	Target *Target
	// Hold describes this process as the fleet lease's holder.
	Hold archive.HoldOptions
	// Input plans the backup; its Registry is filled from Discover and
	// its Now from Now (after the discovery, as the plan is made).
	Input plan.CreateInput
	Now   func() time.Time
	// Discover reads the fleet's registry through the executor. Its error
	// is returned as is (with a lost lease joined).
	Discover func(ctx context.Context) ([]registry.Entry, error)
	// PlanError describes a planning failure (wraps err with the
	// environment's context).
	PlanError func(err error) error
	// Dir is the backup directory; DefaultDir names one when it is empty.
	Dir        string
	DefaultDir func() string
	// Start opens the progress view and the executor once the lease is
	// held (not for a dry run's lease, which is never taken); its closer
	// runs when Create returns.
	Start func(ctx context.Context) (func(), error)
	// Run executes the prepared plan and renders the result (called with
	// the lease held; a dry run too, which must not execute).
	Run func(ctx context.Context, dir string, p *plan.BackupPlan) error
}

// Create takes the fleet's lease (a store run that is not a dry run; a
// refused create changes nothing), discovers the fleet, plans, prepares
// the backup directory and hands it to o.Run; the lease is released when
// it returns.
func Create(ctx context.Context, o CreateOptions) (err error) {
	if o.Target != nil && !o.Input.DryRun {
		parent := ctx
		runCtx, err := o.Target.Hold(ctx, o.Input.Fleet, o.Hold)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, o.Target.Release(parent)) }()
		ctx = runCtx
	}
	done, err := o.Start(ctx)
	if err != nil {
		return err
	}
	defer done()
	entries, err := o.Discover(ctx)
	if err != nil {
		return err
	}
	in := o.Input
	in.Registry = entries
	if o.Now != nil {
		in.Now = o.Now()
	}
	p, err := plan.Create(in)
	if err != nil {
		return o.PlanError(err)
	}
	dir := o.Dir
	if dir == "" {
		dir = o.DefaultDir()
	}
	if _, err := runner.Prepare(dir, p); err != nil {
		return err
	}
	return o.Run(ctx, dir, p)
}

// ResumeOptions are the options of `backup resume` once its backup
// directory (and store) is found.
type ResumeOptions struct {
	// Dir is the backup (staging) directory; Fleet the plan's fleet.
	Dir, Fleet string
	// Target is the run's place in a store (nil: a plain directory).
	Target *Target
	// Hold describes this process as the fleet lease's holder.
	Hold archive.HoldOptions
	// RetryHint is the command that retries a failed publish.
	RetryHint string
	// Published renders a publish-only resume (a run that completed but
	// was not published) and returns the command's error.
	Published func(rep *archive.PublishReport, err error) error
	// Start opens what the run needs (environment, progress view,
	// executor) and returns the execution's options and a closer, run
	// when Resume returns.
	Start func(ctx context.Context) (ExecOptions, func(), error)
	// Finish renders the execution's result and returns the command's
	// error.
	Finish func(res *ExecResult) error
}

// Resume continues a backup run: under the fleet lease (a store run), a
// run that completed but was not published is only published (no
// executor is started); otherwise the run continues from its journal and
// is published when it completes.
func Resume(ctx context.Context, o ResumeOptions) (err error) {
	if o.Target != nil {
		parent := ctx
		runCtx, err := o.Target.Hold(ctx, o.Fleet, o.Hold)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, o.Target.Release(parent)) }()
		ctx = runCtx
		complete, err := verify.ManifestExists(o.Dir)
		if err != nil {
			return err
		}
		if complete && o.Target.IsRemote() {
			return o.Published(o.Target.Publish(ctx, o.RetryHint))
		}
	}
	exec, done, err := o.Start(ctx)
	if err != nil {
		return err
	}
	defer done()
	exec.Target, exec.RetryHint = o.Target, o.RetryHint
	if o.Target != nil {
		exec.Sunk = SunkArtifacts(o.Dir)
	}
	res, err := Execute(ctx, exec)
	if err != nil {
		return err
	}
	return o.Finish(res)
}
