package journal

import "github.com/canic-backup/canic-backup/core/plan"

// CompletedReceipt builds a completed receipt for op, copying the journal's
// plan, run and preflight ids and the operation's identity. Set SnapshotID,
// ArtifactPath or Checksum on the result as the operation kind requires.
func CompletedReceipt(j *BackupExecutionJournal, op *BackupExecutionJournalOperation, updatedAt *string) BackupExecutionOperationReceipt {
	return receiptFor(j, op, OutcomeCompleted, updatedAt, nil)
}

// FailedReceipt builds a failed receipt for op carrying reason.
func FailedReceipt(j *BackupExecutionJournal, op *BackupExecutionJournalOperation, updatedAt *string, reason string) BackupExecutionOperationReceipt {
	return receiptFor(j, op, OutcomeFailed, updatedAt, &reason)
}

// SkippedReceipt builds a skipped receipt for op.
func SkippedReceipt(j *BackupExecutionJournal, op *BackupExecutionJournalOperation, updatedAt *string) BackupExecutionOperationReceipt {
	return receiptFor(j, op, OutcomeSkipped, updatedAt, nil)
}

func receiptFor(j *BackupExecutionJournal, op *BackupExecutionJournalOperation, outcome ReceiptOutcome, updatedAt, reason *string) BackupExecutionOperationReceipt {
	return BackupExecutionOperationReceipt{
		PlanID:           j.PlanID,
		RunID:            j.RunID,
		PreflightID:      cloneString(j.PreflightID),
		Sequence:         op.Sequence,
		OperationID:      op.OperationID,
		Kind:             op.Kind,
		TargetCanisterID: cloneString(op.TargetCanisterID),
		Outcome:          outcome,
		UpdatedAt:        cloneString(updatedAt),
		FailureReason:    cloneString(reason),
	}
}

// ValidateAgainst checks the receipt against journal j in 0.35.1's order
// (reference §4.1.8).
func (r *BackupExecutionOperationReceipt) ValidateAgainst(j *BackupExecutionJournal) error {
	if err := validKind("operation_receipts[].kind", r.Kind); err != nil {
		return err
	}
	if _, err := r.Outcome.MarshalText(); err != nil {
		return &ExecutionJournalError{Code: ErrInvalidValue, Field: "operation_receipts[].outcome", Value: string(r.Outcome)}
	}
	for _, f := range []struct{ name, value string }{
		{"operation_receipts[].plan_id", r.PlanID},
		{"operation_receipts[].run_id", r.RunID},
		{"operation_receipts[].operation_id", r.OperationID},
	} {
		if err := requireNonempty(f.name, f.value); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name  string
		value *string
	}{
		{"operation_receipts[].updated_at", r.UpdatedAt},
		{"operation_receipts[].snapshot_id", r.SnapshotID},
		{"operation_receipts[].artifact_path", r.ArtifactPath},
		{"operation_receipts[].checksum", r.Checksum},
	} {
		if err := optionalNonempty(f.name, f.value); err != nil {
			return err
		}
	}
	if r.PlanID != j.PlanID || r.RunID != j.RunID {
		return &ExecutionJournalError{Code: ErrReceiptJournalMismatch, Sequence: r.Sequence}
	}
	op := j.Operation(r.Sequence)
	if op == nil {
		return &ExecutionJournalError{Code: ErrReceiptOperationNotFound, Sequence: r.Sequence}
	}
	if op.OperationID != r.OperationID || op.Kind != r.Kind || !equalOptional(op.TargetCanisterID, r.TargetCanisterID) {
		return &ExecutionJournalError{Code: ErrReceiptOperationMismatch, Sequence: r.Sequence}
	}
	if IsMutatingKind(op.Kind) && !equalOptional(r.PreflightID, j.PreflightID) {
		return &ExecutionJournalError{Code: ErrReceiptPreflightMismatch, Sequence: r.Sequence}
	}
	if r.Outcome == OutcomeFailed {
		if err := requireNonempty("operation_receipts[].failure_reason", deref(r.FailureReason)); err != nil {
			return err
		}
	}
	if r.Outcome == OutcomeCompleted {
		var field string
		var value *string
		switch r.Kind {
		case plan.OpCreateSnapshot:
			field, value = "operation_receipts[].snapshot_id", r.SnapshotID
		case plan.OpDownloadSnapshot:
			field, value = "operation_receipts[].artifact_path", r.ArtifactPath
		case plan.OpVerifyArtifact:
			field, value = "operation_receipts[].checksum", r.Checksum
		}
		if field != "" {
			if err := requireNonempty(field, deref(value)); err != nil {
				return err
			}
		}
	}
	return nil
}

// ReceiptsFor returns the receipts of operation seq in log order (every
// attempt, failed ones included).
func (j *BackupExecutionJournal) ReceiptsFor(seq uint64) []BackupExecutionOperationReceipt {
	var out []BackupExecutionOperationReceipt
	for _, r := range j.OperationReceipts {
		if r.Sequence == seq {
			out = append(out, r.Clone())
		}
	}
	return out
}

// LatestSnapshotID returns the snapshot id of the latest completed
// create-snapshot receipt for target (what download-snapshot downloads).
func (j *BackupExecutionJournal) LatestSnapshotID(target string) (string, bool) {
	for i := len(j.OperationReceipts) - 1; i >= 0; i-- {
		r := j.OperationReceipts[i]
		if r.Kind == plan.OpCreateSnapshot && r.TargetCanisterID != nil && *r.TargetCanisterID == target && r.SnapshotID != nil {
			return *r.SnapshotID, true
		}
	}
	return "", false
}

func equalOptional(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
