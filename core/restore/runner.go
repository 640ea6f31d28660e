package restore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/timestamp"
	"github.com/canic-backup/canic-backup/internal/killpoint"
)

// Failure reasons recorded on failed operations.
const (
	ReasonCommandExitPrefix    = "runner-command-exit-"
	ReasonStoppedPrecondition  = "stopped-precondition-failed"
	ReasonNoUploadedSnapshotID = "upload-returned-no-snapshot-id"
	ReasonVerifyStatusPrefix   = "verify-status-"
	ReasonModuleHashMismatch   = "module-hash-mismatch"
	StatusVerificationFailed   = "verification-failed"
	JournalLockPurpose         = "restore apply journal"
)

// RunOptions configure one runner invocation.
type RunOptions struct {
	// Journal is the apply journal file.
	Journal string
	// Mode selects dry-run, execute, unclaim-pending or retry-failed.
	Mode Mode
	// MaxSteps bounds the operations executed (0: no bound).
	MaxSteps int
	// Executor runs operations; required for ModeExecute.
	Executor RestoreExecutor
	// Preview renders commands when Executor is nil (dry-run, unclaim,
	// retry); IcpPreview{} when both are nil.
	Preview Previewer
	// Clock stamps transitions; timestamp.System when nil.
	Clock timestamp.Clock
	// ExpectedModuleHash returns the manifest's module hash of a source
	// canister. When nil and the journal has a backup_root, the manifest
	// in that directory is read.
	ExpectedModuleHash func(source string) (string, bool)
	// LockCommand is recorded in the lock file.
	LockCommand string
}

func (o *RunOptions) previewer() Previewer {
	if o.Executor != nil {
		return o.Executor
	}
	if o.Preview != nil {
		return o.Preview
	}
	return IcpPreview{}
}

func (o *RunOptions) marker() string {
	c := o.Clock
	if c == nil {
		c = timestamp.System{}
	}
	return timestamp.Now(c)
}

// Run runs the guarded runner in opts.Mode. The response is returned
// whenever the journal could be read, also together with an error (a
// failed step, an executor that could not finish, a refused state), so a
// caller always writes it; the error then decides the exit status. Every
// transition is persisted atomically before the next step, under an
// exclusive lock on <journal>.lock (only dry-run takes no lock).
func Run(ctx context.Context, opts RunOptions) (*RunResponse, error) {
	switch opts.Mode {
	case ModeDryRun:
		return runDryRun(opts)
	case ModeExecute, ModeUnclaimPending, ModeRetryFailed:
	default:
		return nil, newError(CodeUnsupportedRunMode, "unsupported restore run mode %q", opts.Mode)
	}
	if opts.Mode == ModeExecute && opts.Executor == nil {
		return nil, newError(CodeNoExecutor, "restore run --execute needs an executor for the target environment; none is configured")
	}
	lock, err := layout.Acquire(ctx, opts.Journal+layout.LockSuffix, JournalLockPurpose, layout.LockOptions{Clock: opts.Clock, Command: opts.LockCommand})
	if err != nil {
		var le *layout.LockedError
		if errors.As(err, &le) {
			return nil, newError(CodeJournalLocked, "%s", le.Error()).withField("lock", le.Path).wrapping(err)
		}
		return nil, err
	}
	defer func() { _ = lock.Release() }()
	j, err := ReadJournal(opts.Journal)
	if err != nil {
		return nil, err
	}
	switch opts.Mode {
	case ModeUnclaimPending:
		return runRecover(opts, j, ModeUnclaimPending)
	case ModeRetryFailed:
		return runRecover(opts, j, ModeRetryFailed)
	}
	if j.BackupRoot != nil {
		// Refused before anything is written (journal, reference, staging).
		if err := RefuseSymlinkedDir(filepath.Join(*j.BackupRoot, ReferencesDir), "restore references directory"); err != nil {
			return nil, err
		}
	}
	if err := sweepStaging(opts.Journal); err != nil {
		return nil, err
	}
	r := &runner{opts: opts, j: j, ctx: ctx}
	return r.execute()
}

func runDryRun(opts RunOptions) (*RunResponse, error) {
	j, err := ReadJournal(opts.Journal)
	if err != nil {
		return nil, err
	}
	rep := j.Report()
	resp := newResponse(ModeDryRun, rep)
	resp.StoppedReason = stoppedReason(rep)
	if resp.StoppedReason == "" {
		resp.StoppedReason = StoppedPreview
	}
	prev := j.NextCommand(opts.previewer())
	resp.OperationAvailable = &prev.OperationAvailable
	resp.CommandAvailable = &prev.CommandAvailable
	resp.Command = prev.Command
	return resp, nil
}

func runRecover(opts RunOptions, j *Journal, mode Mode) (*RunResponse, error) {
	at := opts.marker()
	var before *JournalOperation
	var err error
	if mode == ModeUnclaimPending {
		before, err = j.UnclaimPending(at)
	} else {
		before, err = j.RetryFailed(at)
	}
	if err != nil {
		return nil, err
	}
	if err := writeJournal(opts.Journal, j); err != nil {
		return nil, err
	}
	resp := newResponse(mode, j.Report())
	event := EventPendingRecovered
	resp.StoppedReason = StoppedRecoveredPending
	if mode == ModeRetryFailed {
		event, resp.StoppedReason = EventFailedRetried, StoppedRetriedFailed
		resp.RetriedOperation = before
	} else {
		resp.RecoveredOperation = before
	}
	resp.addReceipt(RunReceipt{Event: event, Sequence: before.Sequence, Operation: before.Operation,
		TargetCanister: before.TargetCanister, State: string(StateReady), UpdatedAt: &at})
	return resp, nil
}

// writeJournal persists the journal atomically (temp, fsync, rename, fsync
// dir), as pretty JSON without a trailing newline.
func writeJournal(path string, j *Journal) error {
	if err := layout.WriteJSONAtomic(path, j); err != nil {
		return fmt.Errorf("write restore apply journal %s: %w", path, err)
	}
	killpoint.Hit(killpoint.RestorePersisted)
	return nil
}

type runner struct {
	opts     RunOptions
	j        *Journal
	ctx      context.Context
	resp     *RunResponse
	executed int
	hashes   func(string) (string, bool)
	ref      *Reference
	manifest *manifest.FleetBackupManifest
}

func (r *runner) execute() (*RunResponse, error) {
	r.resp = newResponse(ModeExecute, r.j.Report())
	zero := 0
	r.resp.ExecutedOperationCount = &zero
	f := false
	r.resp.MaxStepsReached = &f
	for {
		rep := r.j.Report()
		maxReached := r.opts.MaxSteps > 0 && r.executed == r.opts.MaxSteps && !rep.Complete
		if rep.Complete || maxReached {
			if rep.Complete {
				if err := r.releaseReference(); err != nil {
					return r.finish(err)
				}
			}
			r.resp.MaxStepsReached = &maxReached
			return r.finish(nil)
		}
		if err := r.executable(rep); err != nil {
			return r.finish(err)
		}
		if err := r.ctx.Err(); err != nil {
			return r.finish(err)
		}
		failed, err := r.step()
		if err != nil || failed != nil {
			if err == nil {
				err = failed
			}
			return r.finish(err)
		}
	}
}

// finish fills the response from the journal as it now is.
func (r *runner) finish(err error) (*RunResponse, error) {
	rep := r.j.Report()
	r.resp.setReport(rep)
	reason := stoppedReason(rep)
	switch {
	case reason != "":
	case r.resp.MaxStepsReached != nil && *r.resp.MaxStepsReached:
		reason = StoppedMaxSteps
	case err != nil:
		reason = StoppedExecutorError
	default:
		reason = StoppedReady
	}
	r.resp.StoppedReason = reason
	n := r.executed
	r.resp.ExecutedOperationCount = &n
	return r.resp, err
}

// executable enforces 0.35.1's order of refusals: pending, failed, not
// ready.
func (r *runner) executable(rep Report) error {
	var next *int
	if rep.NextTransition != nil {
		next = &rep.NextTransition.Sequence
	}
	switch {
	case rep.PendingOperations > 0:
		return newError(CodeApplyPending, "restore apply journal for backup %s has pending operations: pending=%d, next=%s", rep.BackupID, rep.PendingOperations, debugOptUsize(next))
	case rep.FailedOperations > 0:
		return newError(CodeApplyFailed, "restore apply journal for backup %s has failed operations: failed=%d", rep.BackupID, rep.FailedOperations)
	case !rep.Ready:
		return newError(CodeApplyNotReady, "restore apply journal for backup %s is not ready: reasons=%s", rep.BackupID, DebugStrings(rep.BlockedReasons))
	}
	return nil
}

// CommandFailedError is the deferred error of a batch whose last operation
// failed; the summary was produced first.
func commandFailed(seq int, status string) error {
	return newError(CodeCommandFailed, "restore run command failed for operation %d: status=%s", seq, status).withSeq(seq)
}

// step claims the next operation, persists the claim, runs it and persists
// its outcome. failed is the deferred error of a failed operation; err a
// hard error (the operation may remain pending on disk).
func (r *runner) step() (failed, err error) {
	prev := r.j.NextCommand(r.opts.Executor)
	if !prev.CommandAvailable && prev.Err != nil && prev.Operation != nil {
		// The journal names an artifact outside the backup: fail the row
		// with the reason instead of reporting a missing command.
		op := *prev.Operation
		var e *Error
		if !errors.As(prev.Err, &e) {
			return nil, prev.Err
		}
		e = newError(e.Code, "restore apply journal %s operation %d: %s; nothing was uploaded", r.opts.Journal, op.Sequence, e.Error()).
			withSeq(op.Sequence).withField(e.Field, e.Value).wrapping(prev.Err)
		return r.refused(op, RunnerCommand{Args: []string{}, Mutates: true, Note: NoteUpload}, r.attempt(op.Sequence),
			&artifactRefusal{reason: ReasonArtifactPathEscapes, err: e})
	}
	if !prev.CommandAvailable {
		rep := r.j.Report()
		return nil, newError(CodeCommandUnavailable, "restore apply journal for backup %s has no executable command: operation_available=%t, complete=%t, blocked_reasons=%s",
			rep.BackupID, prev.OperationAvailable, rep.Complete, DebugStrings(rep.BlockedReasons))
	}
	op, cmd := *prev.Operation, *prev.Command
	attempt := r.attempt(op.Sequence)
	if next := r.j.NextTransition(); next == nil || next.Sequence != op.Sequence {
		var actual *int
		if next != nil {
			actual = &next.Sequence
		}
		return nil, newError(CodeClaimSequenceMismatch, "restore apply journal next operation changed before claim: expected=%d, actual=%s", op.Sequence, debugOptUsize(actual))
	}
	if err := r.acquireReference(); err != nil {
		return nil, err
	}
	if err := r.j.MarkPending(op.Sequence, r.opts.marker()); err != nil {
		return nil, err
	}
	if err := writeJournal(r.opts.Journal, r.j); err != nil {
		return nil, err
	}
	if cmd.RequiresStoppedCanister {
		probe := probeCommand(r.opts.Executor, op.TargetCanister)
		ctx, sink := withTranscript(r.ctx)
		status, _, err := r.opts.Executor.CanisterStatus(ctx, op.TargetCanister)
		label, definiteFail := definite(err)
		if err != nil && !definiteFail {
			return nil, r.unknown(op, err)
		}
		if err != nil || status != StatusStopped {
			t := sink.get()
			if label == "" {
				label = statusLabel(t)
			}
			at := r.opts.marker()
			reason := fmt.Sprintf("%s-attempt-%d-%s", ReasonStoppedPrecondition, attempt, at)
			return r.fail(op, probe, label, t, attempt, reason, at, ReasonStoppedPrecondition)
		}
	}
	ctx, sink := withTranscript(r.ctx)
	uploaded, verifyReason, err := r.perform(ctx, op, prev.Input)
	t := sink.get()
	var refused *artifactRefusal
	if errors.As(err, &refused) {
		return r.refused(op, cmd, attempt, refused)
	}
	if err != nil {
		label, ok := definite(err)
		if !ok {
			return nil, r.unknown(op, err)
		}
		if len(bytes.TrimSpace(t.Stderr)) == 0 {
			// An executor that reported no output (a plugin, the agent):
			// its message is the receipt's stderr, not lost.
			t.Stderr = []byte(ExecutorMessage(err) + "\n")
		}
		at := r.opts.marker()
		failed, werr := r.fail(op, cmd, label, t, attempt, ReasonCommandExitPrefix+label, at, label)
		if e, ok := failed.(*Error); ok {
			// Same text as 0.35.1; the executor's error is its cause.
			failed = e.wrapping(err)
		}
		return failed, werr
	}
	label := statusLabel(t)
	if verifyReason != "" {
		at := r.opts.marker()
		return r.fail(op, cmd, label, t, attempt, verifyReason, at, StatusVerificationFailed)
	}
	at := r.opts.marker()
	if err := r.j.MarkCompleted(op.Sequence, at); err != nil {
		return nil, err
	}
	rc := r.receipt(op, cmd, OutcomeCommandCompleted, label, t, attempt, at)
	if op.Operation == OpUploadSnapshot {
		rc.UploadedSnapshotID = &uploaded
	}
	if err := r.j.RecordReceipt(rc); err != nil {
		return nil, err
	}
	if err := writeJournal(r.opts.Journal, r.j); err != nil {
		return nil, err
	}
	if op.Operation == OpUploadSnapshot {
		if err := r.uploadRecorded(op.Sequence); err != nil {
			return nil, err
		}
	}
	r.record(op, cmd, label, string(StateCompleted), EventCommandCompleted, at)
	return nil, nil
}

// attempt is the 1-based attempt number of the next run of operation seq.
func (r *runner) attempt(seq int) int {
	n := 1
	for _, rc := range r.j.OperationReceipts {
		if rc.Sequence == seq {
			n++
		}
	}
	return n
}

// refused fails op, before anything was sent, for the refusal's reason; its
// receipt's stderr carries the message; the refusal's error is the run's.
func (r *runner) refused(op JournalOperation, cmd RunnerCommand, attempt int, refused *artifactRefusal) (error, error) {
	at := r.opts.marker()
	t := Transcript{Status: StatusArtifactRefused, Stderr: []byte(refused.Error() + "\n")}
	if _, err := r.fail(op, cmd, StatusArtifactRefused, t, attempt, refused.reason, at, StatusArtifactRefused); err != nil {
		return nil, err
	}
	return refused.err, nil
}

// perform runs one operation through the executor. verifyReason is set when
// the executor answered but the answer fails the operation (an upload
// without a snapshot id, a member that is not running or runs other code).
func (r *runner) perform(ctx context.Context, op JournalOperation, in CommandOp) (uploaded, verifyReason string, err error) {
	ex := r.opts.Executor
	switch op.Operation {
	case OpUploadSnapshot:
		id, prior, err := r.uploadVerified(ctx, op, in)
		if err != nil {
			return "", "", err
		}
		if isBlank(id) {
			return "", ReasonNoUploadedSnapshotID, nil
		}
		id = strings.TrimSpace(id)
		// Best effort: the upload stands even if a leftover stays.
		_ = r.afterUpload(ctx, prior, in.Target, id)
		return id, "", nil
	case OpStopCanister:
		return "", "", ex.StopCanister(ctx, in.Target)
	case OpStartCanister:
		return "", "", ex.StartCanister(ctx, in.Target)
	case OpLoadSnapshot:
		return "", "", ex.LoadSnapshot(ctx, in.Target, in.SnapshotID)
	case OpVerifyMember, OpVerifyFleet:
		status, hash, err := ex.CanisterStatus(ctx, in.Target)
		if err != nil {
			return "", "", err
		}
		if status != StatusRunning {
			return "", ReasonVerifyStatusPrefix + status, nil
		}
		if op.Operation == OpVerifyMember {
			want, ok, err := r.expectedHash(op.SourceCanister)
			if err != nil {
				return "", "", err
			}
			if ok && !strings.EqualFold(want, hash) {
				return "", fmt.Sprintf("%s-expected-%s-actual-%s", ReasonModuleHashMismatch, strings.ToLower(want), orNone(hash)), nil
			}
		}
		return "", "", nil
	}
	return "", "", fmt.Errorf("restore apply journal operation %d has unknown kind %s", op.Sequence, op.Operation)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return strings.ToLower(s)
}

func statusLabel(t Transcript) string {
	if t.Status == "" {
		return "0"
	}
	return t.Status
}

// unknown reports an executor call whose outcome is unknown; the claim
// stays pending on disk.
func (r *runner) unknown(op JournalOperation, err error) error {
	return newError(CodeExecutorOutcomeUnknown,
		"restore apply journal operation %d (%s on %s) was left pending: the executor did not report an outcome (%v); rerun with --unclaim-pending, then --execute",
		op.Sequence, op.Operation, op.TargetCanister, err).withSeq(op.Sequence).wrapping(err)
}

func (r *runner) fail(op JournalOperation, cmd RunnerCommand, label string, t Transcript, attempt int, reason, at, deferredStatus string) (error, error) {
	if err := r.j.MarkFailed(op.Sequence, reason, at); err != nil {
		return nil, err
	}
	rc := r.receipt(op, cmd, OutcomeCommandFailed, label, t, attempt, at)
	rc.FailureReason = &reason
	if err := r.j.RecordReceipt(rc); err != nil {
		return nil, err
	}
	if err := writeJournal(r.opts.Journal, r.j); err != nil {
		return nil, err
	}
	r.record(op, cmd, label, string(StateFailed), EventCommandFailed, at)
	return commandFailed(op.Sequence, deferredStatus), nil
}

func (r *runner) receipt(op JournalOperation, cmd RunnerCommand, outcome ReceiptOutcome, label string, t Transcript, attempt int, at string) OperationReceipt {
	stdout, stderr := BoundOutput(t.Stdout, OutputLimit), BoundOutput(t.Stderr, OutputLimit)
	c := cmd
	c.Args = append([]string{}, cmd.Args...)
	return OperationReceipt{
		Sequence: op.Sequence, Operation: op.Operation, Outcome: outcome,
		SourceCanister: op.SourceCanister, TargetCanister: op.TargetCanister, Attempt: attempt,
		UpdatedAt: strPtr(at), Command: &c, Status: strPtr(label), Stdout: &stdout, Stderr: &stderr,
		SourceSnapshotID: cloneStr(op.SnapshotID), ArtifactPath: cloneStr(op.ArtifactPath),
		Checksum: cloneStr(op.Checksum),
	}
}

func (r *runner) record(op JournalOperation, cmd RunnerCommand, label, state, event, at string) {
	r.executed++
	r.resp.ExecutedOperations = append(r.resp.ExecutedOperations, ExecutedOperation{
		Sequence: op.Sequence, Operation: op.Operation, TargetCanister: op.TargetCanister,
		Command: cmd, Status: label, State: state,
	})
	c := cmd
	r.resp.addReceipt(RunReceipt{Event: event, Sequence: op.Sequence, Operation: op.Operation,
		TargetCanister: op.TargetCanister, State: state, UpdatedAt: strPtr(at), Command: &c, Status: strPtr(label)})
}
