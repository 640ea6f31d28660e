package runner

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/plan"
)

// Run executes (or resumes) the backup in cfg.Dir through exec. It returns
// the response of this call; on failure it also returns the error, after the
// failure was recorded in the execution journal and the canisters this run
// had stopped were restarted (see RestartedReasonPrefix).
func Run(ctx context.Context, cfg Config, exec Executor) (*Response, error) {
	s := store{dir: cfg.Dir}
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()

	p, err := s.readPlan()
	if err != nil {
		return nil, err
	}
	var j *journal.BackupExecutionJournal
	if s.exists(ExecutionJournalFile) {
		if j, err = s.readExecution(); err != nil {
			return nil, err
		}
	} else {
		if j, err = journal.FromPlan(p); err != nil {
			return nil, fmt.Errorf("%s: %w", s.path(PlanFile), err)
		}
		if err := s.writeExecution(j); err != nil {
			return nil, err
		}
	}
	if err := checkPlanJournal(p, j); err != nil {
		return nil, fmt.Errorf("%s: %w", s.path(ExecutionJournalFile), err)
	}
	r, err := newRun(cfg, exec, s, p, j)
	if err != nil {
		return nil, err
	}
	r.emit(Event{Type: EventRunStarted, Targets: r.targets()})
	resp, err := r.start(ctx)
	r.emit(Event{Type: EventRunFinished, Err: err})
	return resp, err
}

// start accepts the preflight, then runs the operations.
func (r *run) start(ctx context.Context) (*Response, error) {
	if err := r.acceptPreflight(ctx); err != nil {
		return nil, err
	}
	loop := r.loop
	if r.cfg.Concurrency > 1 {
		loop = r.loopConcurrent
	}
	resp, err := loop(ctx)
	if err != nil {
		// Whatever ended the run, nothing it stopped stays stopped.
		if err = r.restartOnExit(ctx, err); resp != nil {
			resp = r.response(resp.MaxStepsReached)
		}
	}
	return resp, err
}

// newRun builds the state of one call, loading the downtime record of
// earlier runs when the run records downtime.
func newRun(cfg Config, exec Executor, s store, p *plan.BackupPlan, j *journal.BackupExecutionJournal) (*run, error) {
	r := &run{cfg: cfg, exec: exec, store: s, plan: p, journal: j, downtime: &Downtime{Canisters: []CanisterWindow{}}}
	if cfg.RecordDowntime {
		d, err := s.readDowntime()
		if err != nil {
			return nil, err
		}
		r.downtime = d
	}
	return r, nil
}

// run is the state of one Run call.
type run struct {
	cfg      Config
	exec     Executor
	store    store
	plan     *plan.BackupPlan
	journal  *journal.BackupExecutionJournal
	executed []ExecutedOperation
	// observeMu serializes events to cfg.Observer (download progress may
	// come from an executor goroutine).
	observeMu sync.Mutex
	// downloadMu serializes read-change-write cycles of the download
	// journal (operations may run concurrently).
	downloadMu sync.Mutex
	// download caches the download journal as this run last wrote it
	// (under downloadMu; nil: read it from disk).
	download *journal.DownloadJournal
	// sums holds the file digests of this run's downloads.
	sums downloadSums
	// downtime is the run's downtime record (Config.RecordDowntime).
	downtime *Downtime
	// intents holds the canisters whose snapshot intent this process
	// wrote while stopping them (see intentWhileStopping).
	intents freshIntents
}

// acceptPreflight asks the executor for preflight receipts, applies them to
// the plan (rewriting backup-plan.json with the proven authorities) and
// records the acceptance in the journal. It does nothing once accepted.
func (r *run) acceptPreflight(ctx context.Context) error {
	if r.journal.PreflightAccepted {
		return nil
	}
	now := r.cfg.now()
	validatedAt := Marker(now)
	expiresAt := Marker(now.Add(plan.PreflightTTLSeconds * 1e9))
	preflightID := "preflight-" + r.plan.RunID
	bundle, err := r.exec.Preflight(ctx, PreflightRequest{
		Plan: *r.plan, PreflightID: preflightID, ValidatedAt: validatedAt, ExpiresAt: expiresAt,
	})
	if err != nil {
		status, msg := commandParts(err)
		return &PreflightFailedError{Status: status, Message: msg, Err: err}
	}
	next := clonePlan(r.plan)
	if err := next.ApplyExecutionPreflightReceipts(bundle, validatedAt); err != nil {
		return fmt.Errorf("backup preflight rejected: %w", err)
	}
	if err := r.journal.AcceptPreflightReceiptsAt(&bundle, &validatedAt); err != nil {
		return fmt.Errorf("backup preflight rejected: %w", err)
	}
	if err := r.store.writePlan(next); err != nil {
		return err
	}
	r.plan = next
	return r.store.writeExecution(r.journal)
}

// loop runs operations until the journal is complete, MaxSteps is reached
// or an operation fails.
func (r *run) loop(ctx context.Context) (*Response, error) {
	for {
		if r.journal.Complete() {
			return r.response(false), nil
		}
		if r.cfg.MaxSteps > 0 && len(r.executed) >= r.cfg.MaxSteps {
			return r.response(true), nil
		}
		next := r.journal.NextReadyOperation()
		if next == nil {
			return r.response(false), ErrNoReadyOperation
		}
		op := next.Clone()
		if op.State == journal.StateFailed {
			if !r.cfg.RetryFailed {
				return r.response(false), &FailedOperationError{
					Sequence: op.Sequence, OperationID: op.OperationID, Reasons: op.BlockingReasons,
				}
			}
			if err := r.restopBeforeRetry(ctx, &op); err != nil {
				return r.response(false), err
			}
		}
		if op.State != journal.StatePending {
			at := r.cfg.marker()
			if err := r.journal.MarkOperationPendingAt(op.Sequence, &at); err != nil {
				return r.response(false), err
			}
			if err := r.store.writeExecution(r.journal); err != nil {
				return r.response(false), err
			}
		}
		r.emitOperation(EventOperationStarted, op.Sequence, op.OperationID, op.Kind, op.TargetCanisterID, "", nil)
		in, opErr := r.prepare(&op)
		var out outcome
		if opErr == nil {
			out, opErr = r.perform(ctx, &op, in)
		}
		if opErr == nil {
			refused, err := r.complete(&op, out)
			if err != nil {
				return r.response(false), err
			}
			if refused == nil {
				continue
			}
			opErr = refused
		}
		err := r.fail(ctx, &op, opErr)
		return r.response(false), err
	}
}

// fail records opErr as the failure of op, restarts the canisters the run
// left stopped and returns the error to report.
func (r *run) fail(ctx context.Context, op *journal.BackupExecutionJournalOperation, opErr error) error {
	r.noteFailedStop(op, opErr)
	r.executed = append(r.executed, executed(op, OutcomeFailed))
	at := r.cfg.marker()
	receipt := journal.FailedReceipt(r.journal, op, &at, opErr.Error())
	if err := r.journal.RecordOperationReceipt(receipt); err != nil {
		return errors.Join(opErr, fmt.Errorf("record failure of operation %d: %w", op.Sequence, err))
	}
	if err := r.store.writeExecution(r.journal); err != nil {
		return errors.Join(opErr, err)
	}
	r.emitOperation(EventOperationFinished, op.Sequence, op.OperationID, op.Kind, op.TargetCanisterID, OutcomeFailed, opErr)
	if err := r.restartStopped(ctx, op); err != nil {
		return errors.Join(opErr, err)
	}
	return opErr
}

// complete records op's completed receipt, persists the journal, notes
// its downtime bounds and emits its finish. refused is the journal's
// refusal of the receipt (the operation then fails); err is a failed write.
func (r *run) complete(op *journal.BackupExecutionJournalOperation, out outcome) (refused, err error) {
	if err := r.journal.RecordOperationReceipt(r.receipt(op, out)); err != nil {
		return err, nil
	}
	if err := r.store.writeExecution(r.journal); err != nil {
		return nil, err
	}
	r.hitStopsCompleted(op)
	r.executed = append(r.executed, executed(op, OutcomeCompleted))
	if err := r.noteTiming(op, out); err != nil {
		return nil, err
	}
	r.emitOperation(EventOperationFinished, op.Sequence, op.OperationID, op.Kind, op.TargetCanisterID, OutcomeCompleted, nil)
	return nil, nil
}

func executed(op *journal.BackupExecutionJournalOperation, outcome string) ExecutedOperation {
	return ExecutedOperation{
		Sequence:         op.Sequence,
		OperationID:      op.OperationID,
		Kind:             op.Kind.DebugName(),
		TargetCanisterID: op.TargetCanisterID,
		Outcome:          outcome,
	}
}

func (r *run) response(maxSteps bool) *Response {
	summary := r.journal.ResumeSummary()
	ops := r.executed
	if ops == nil {
		ops = []ExecutedOperation{}
	}
	return &Response{
		RunID:                  r.plan.RunID,
		PlanID:                 r.plan.PlanID,
		BackupID:               r.plan.RunID,
		Complete:               summary.Complete(),
		MaxStepsReached:        maxSteps,
		ExecutedOperationCount: uint64(len(ops)),
		ExecutedOperations:     ops,
		Execution:              summary,
		Downtime:               r.summaryDowntime(),
	}
}

// summaryDowntime is the response's downtime (nil unless recorded).
func (r *run) summaryDowntime() *Downtime {
	if p := r.provenance(); p != nil {
		d := p.Downtime
		d.Canisters = append([]CanisterWindow(nil), d.Canisters...)
		return &d
	}
	return nil
}

// checkPlanJournal is 0.35.1's verify_execution_integrity: the journal's
// operations must match the plan's phases position by position.
func checkPlanJournal(p *plan.BackupPlan, j *journal.BackupExecutionJournal) error {
	if p.PlanID != j.PlanID {
		return fmt.Errorf("backup plan plan_id %q does not match execution journal %q", p.PlanID, j.PlanID)
	}
	if p.RunID != j.RunID {
		return fmt.Errorf("backup plan run_id %q does not match execution journal %q", p.RunID, j.RunID)
	}
	if len(p.Phases) != len(j.Operations) {
		return fmt.Errorf("backup plan operation_count %d does not match execution journal %d", len(p.Phases), len(j.Operations))
	}
	for i, ph := range p.Phases {
		op := j.Operations[i]
		for _, f := range []struct{ name, plan, journal string }{
			{"sequence", strconv.FormatUint(uint64(ph.Order), 10), strconv.FormatUint(op.Sequence, 10)},
			{"operation_id", ph.OperationID, op.OperationID},
			{"kind", string(ph.Kind), string(op.Kind)},
			{"target_canister_id", deref(ph.TargetCanisterID), deref(op.TargetCanisterID)},
		} {
			if f.plan != f.journal {
				return fmt.Errorf("backup plan operation %d %s %q does not match execution journal %q", i, f.name, f.plan, f.journal)
			}
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func clonePlan(p *plan.BackupPlan) *plan.BackupPlan {
	c := *p
	c.Targets = append([]plan.BackupTarget(nil), p.Targets...)
	c.Phases = append([]plan.BackupOperation(nil), p.Phases...)
	return &c
}

// hasReasonPrefix reports whether reason starts with prefix, returning the rest.
func hasReasonPrefix(reason, prefix string) (string, bool) {
	if strings.HasPrefix(reason, prefix) {
		return strings.TrimPrefix(reason, prefix), true
	}
	return "", false
}
