package journal

import "github.com/canic-backup/canic-backup/core/plan"

// mutate applies f to a copy of the journal, refreshes restart_required,
// validates the copy and only then commits it: a failed transition leaves j
// exactly as it was (0.35.1 left some changes behind; docs/compat.md).
func (j *BackupExecutionJournal) mutate(f func(*BackupExecutionJournal) error) error {
	next := j.Clone()
	if err := f(next); err != nil {
		return err
	}
	next.refreshRestartRequired()
	if err := next.Validate(); err != nil {
		return err
	}
	*j = *next
	return nil
}

// AcceptPreflightReceiptsAt accepts a preflight bundle for this journal's
// plan (reference §4.1.5). The receipts' contents are the plan's business;
// the journal only checks the plan id and records the preflight id.
func (j *BackupExecutionJournal) AcceptPreflightReceiptsAt(r *plan.BackupExecutionPreflightReceipts, updatedAt *string) error {
	if err := requireNonempty("preflight_receipts.plan_id", r.PlanID); err != nil {
		return err
	}
	if r.PlanID != j.PlanID {
		return &ExecutionJournalError{Code: ErrPreflightPlanMismatch, Expected: j.PlanID, Actual: r.PlanID}
	}
	return j.AcceptPreflightBundleAt(r.PreflightID, updatedAt)
}

// AcceptPreflightBundleAt records preflightID as accepted: preflight
// operations become completed (stamped updatedAt), blocked operations become
// ready. Accepting the same id again is allowed; a different one fails with
// ErrPreflightAlreadyAccepted.
func (j *BackupExecutionJournal) AcceptPreflightBundleAt(preflightID string, updatedAt *string) error {
	if err := requireNonempty("preflight_id", preflightID); err != nil {
		return err
	}
	if err := optionalNonempty("updated_at", updatedAt); err != nil {
		return err
	}
	if j.PreflightID != nil && *j.PreflightID != preflightID {
		return &ExecutionJournalError{Code: ErrPreflightAlreadyAccepted, Existing: *j.PreflightID, Attempted: preflightID}
	}
	return j.mutate(func(j *BackupExecutionJournal) error {
		j.PreflightID = &preflightID
		j.PreflightAccepted = true
		for i := range j.Operations {
			op := &j.Operations[i]
			switch {
			case IsPreflightKind(op.Kind):
				op.State = StateCompleted
				op.StateUpdatedAt = cloneString(updatedAt)
				op.BlockingReasons = []string{}
			case op.State == StateBlocked:
				op.State = StateReady
				op.BlockingReasons = []string{}
			}
		}
		return nil
	})
}

// MarkNextOperationPendingAt marks the next runnable operation pending.
func (j *BackupExecutionJournal) MarkNextOperationPendingAt(updatedAt *string) error {
	next := j.NextReadyOperation()
	if next == nil {
		return &ExecutionJournalError{Code: ErrNoTransitionableOperation}
	}
	return j.MarkOperationPendingAt(next.Sequence, updatedAt)
}

// MarkOperationPendingAt marks operation seq pending under 0.35.1's
// Sequential ordering: ready → pending, or failed → pending (a direct retry).
func (j *BackupExecutionJournal) MarkOperationPendingAt(seq uint64, updatedAt *string) error {
	return j.MarkOperationPendingWith(Sequential{}, seq, updatedAt)
}

// MarkOperationPendingWith is MarkOperationPendingAt with an explicit
// Ordering. Checks run in 0.35.1's order: timestamp, ordering, preflight
// gate, source state.
func (j *BackupExecutionJournal) MarkOperationPendingWith(ord Ordering, seq uint64, updatedAt *string) error {
	if err := optionalNonempty("updated_at", updatedAt); err != nil {
		return err
	}
	if err := ord.Admit(j, seq); err != nil {
		return err
	}
	idx, err := j.operationIndex(seq)
	if err != nil {
		return err
	}
	op := &j.Operations[idx]
	if IsMutatingKind(op.Kind) && !j.PreflightAccepted {
		return &ExecutionJournalError{Code: ErrMutationBeforePreflightAccepted, Sequence: seq}
	}
	if op.State != StateReady && op.State != StateFailed {
		return &ExecutionJournalError{Code: ErrInvalidOperationTransition, Sequence: seq, From: op.State, To: StatePending}
	}
	return j.mutate(func(j *BackupExecutionJournal) error {
		op := &j.Operations[idx]
		op.State = StatePending
		op.StateUpdatedAt = cloneString(updatedAt)
		op.BlockingReasons = []string{}
		return nil
	})
}

// RecordOperationReceipt appends a receipt for a pending operation and moves
// the operation to the receipt's outcome (completed, failed or skipped),
// stamped with the receipt's updated_at, with the failure reason as its only
// blocking reason. On any error neither the log nor the operation changes.
func (j *BackupExecutionJournal) RecordOperationReceipt(r BackupExecutionOperationReceipt) error {
	if err := r.ValidateAgainst(j); err != nil {
		return err
	}
	idx, err := j.operationIndex(r.Sequence)
	if err != nil {
		return err
	}
	if j.Operations[idx].State != StatePending {
		return &ExecutionJournalError{Code: ErrReceiptWithoutPendingOperation, Sequence: r.Sequence}
	}
	r = r.Clone()
	return j.mutate(func(j *BackupExecutionJournal) error {
		j.OperationReceipts = append(j.OperationReceipts, r)
		op := &j.Operations[idx]
		op.State = r.Outcome.state()
		op.StateUpdatedAt = cloneString(r.UpdatedAt)
		op.BlockingReasons = []string{}
		if r.FailureReason != nil {
			op.BlockingReasons = []string{*r.FailureReason}
		}
		return nil
	})
}

// RetryFailedOperationAt is 0.35.1's retry_failed_operation_at: a failed
// operation goes back to ready, stamped updatedAt, its reasons cleared. The
// failure stays in the receipt log only if it was recorded there; prefer
// ResetFailedForRetry, which guarantees that.
func (j *BackupExecutionJournal) RetryFailedOperationAt(seq uint64, updatedAt *string) error {
	return j.retryFailed(seq, updatedAt, false)
}

func (j *BackupExecutionJournal) refreshRestartRequired() {
	stopped, unstarted := false, false
	for _, op := range j.Operations {
		if op.Kind == plan.OpStop && op.State == StateCompleted {
			stopped = true
		}
		if op.Kind == plan.OpStart && !op.State.Done() {
			unstarted = true
		}
	}
	j.RestartRequired = stopped && unstarted
}
