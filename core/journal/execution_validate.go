package journal

import "github.com/canic-backup/canic-backup/core/plan"

// Validate checks the journal in 0.35.1's order (reference §4.1.3) and
// returns the first failure as an *ExecutionJournalError.
func (j *BackupExecutionJournal) Validate() error {
	if j.JournalVersion != ExecutionJournalVersion {
		return &ExecutionJournalError{Code: ErrUnsupportedVersion, Version: j.JournalVersion}
	}
	if err := requireNonempty("plan_id", j.PlanID); err != nil {
		return err
	}
	if err := requireNonempty("run_id", j.RunID); err != nil {
		return err
	}
	if j.PreflightID != nil {
		if err := requireNonempty("preflight_id", *j.PreflightID); err != nil {
			return err
		}
	} else if j.PreflightAccepted {
		return &ExecutionJournalError{Code: ErrAcceptedPreflightMissingID}
	}
	if err := validateSequences(j.Operations); err != nil {
		return err
	}
	for i := range j.Operations {
		op := &j.Operations[i]
		if err := op.Validate(); err != nil {
			return err
		}
		if !j.PreflightAccepted && IsMutatingKind(op.Kind) && op.State != StateBlocked {
			return &ExecutionJournalError{Code: ErrMutationReadyBeforePreflight, Sequence: op.Sequence}
		}
	}
	for i := range j.OperationReceipts {
		if err := j.OperationReceipts[i].ValidateAgainst(j); err != nil {
			return err
		}
	}
	return nil
}

// validateSequences requires sequences 0..len-1, each exactly once, in any
// array order.
func validateSequences(ops []BackupExecutionJournalOperation) error {
	seen := make(map[uint64]struct{}, len(ops))
	for _, op := range ops {
		if _, dup := seen[op.Sequence]; dup {
			return &ExecutionJournalError{Code: ErrDuplicateSequence, Sequence: op.Sequence}
		}
		seen[op.Sequence] = struct{}{}
	}
	for want := uint64(0); want < uint64(len(ops)); want++ {
		if _, ok := seen[want]; !ok {
			return &ExecutionJournalError{Code: ErrMissingSequence, Sequence: want}
		}
	}
	return nil
}

// Validate checks one operation's own fields (reference §4.1.3 step 5).
func (op *BackupExecutionJournalOperation) Validate() error {
	if err := validKind("operations[].kind", op.Kind); err != nil {
		return err
	}
	if _, err := op.State.MarshalText(); err != nil {
		return &ExecutionJournalError{Code: ErrInvalidValue, Field: "operations[].state", Value: string(op.State)}
	}
	if err := requireNonempty("operations[].operation_id", op.OperationID); err != nil {
		return err
	}
	if err := optionalNonempty("operations[].state_updated_at", op.StateUpdatedAt); err != nil {
		return err
	}
	if err := optionalNonempty("operations[].target_canister_id", op.TargetCanisterID); err != nil {
		return err
	}
	switch {
	case op.State.needsReason() && len(op.BlockingReasons) == 0:
		return &ExecutionJournalError{Code: ErrOperationMissingReason, Sequence: op.Sequence}
	case !op.State.needsReason() && len(op.BlockingReasons) > 0:
		return &ExecutionJournalError{Code: ErrUnblockedOperationHasReasons, Sequence: op.Sequence}
	}
	return nil
}

func validKind(field string, k plan.BackupOperationKind) error {
	if _, err := k.MarshalText(); err != nil {
		return &ExecutionJournalError{Code: ErrInvalidValue, Field: field, Value: string(k)}
	}
	return nil
}
