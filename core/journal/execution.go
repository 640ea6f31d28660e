package journal

import "github.com/canic-backup/canic-backup/core/plan"

// ExecutionJournalVersion is the only execution-journal version 0.35.1 reads
// and writes.
const ExecutionJournalVersion uint16 = 1

// ReasonPreflightNotAccepted blocks every mutating operation of a new journal.
const ReasonPreflightNotAccepted = "preflight-not-accepted"

// BackupExecutionJournal is backup-execution-journal.json: the state of every
// plan operation of one run and the append-only log of their receipts.
type BackupExecutionJournal struct {
	// JournalVersion must be ExecutionJournalVersion.
	JournalVersion uint16 `json:"journal_version"`
	// PlanID is the plan this journal executes.
	PlanID string `json:"plan_id"`
	// RunID is the plan's run id.
	RunID string `json:"run_id"`
	// PreflightID is the accepted preflight bundle's id, if any.
	PreflightID *string `json:"preflight_id"`
	// PreflightAccepted is true once preflight receipts were accepted.
	PreflightAccepted bool `json:"preflight_accepted"`
	// RestartRequired is true while a canister may have been left stopped.
	RestartRequired bool `json:"restart_required"`
	// Operations holds one entry per plan phase (sequence = phase order).
	Operations []BackupExecutionJournalOperation `json:"operations"`
	// OperationReceipts is the append-only log of operation outcomes.
	OperationReceipts []BackupExecutionOperationReceipt `json:"operation_receipts"`
}

// BackupExecutionJournalOperation is the state of one plan operation.
type BackupExecutionJournalOperation struct {
	// Sequence equals the plan phase's order.
	Sequence uint64 `json:"sequence"`
	// OperationID is the plan operation's id.
	OperationID string `json:"operation_id"`
	// Kind is the plan operation's kind.
	Kind plan.BackupOperationKind `json:"kind"`
	// TargetCanisterID is the canister the operation acts on, if any.
	TargetCanisterID *string `json:"target_canister_id"`
	// State is the operation's state.
	State OperationState `json:"state"`
	// StateUpdatedAt is when State last changed, if recorded.
	StateUpdatedAt *string `json:"state_updated_at"`
	// BlockingReasons is non-empty exactly when State is blocked or failed.
	BlockingReasons []string `json:"blocking_reasons"`
}

// BackupExecutionOperationReceipt records the outcome of one attempt of an
// operation.
type BackupExecutionOperationReceipt struct {
	PlanID           string                   `json:"plan_id"`            // = journal plan_id
	RunID            string                   `json:"run_id"`             // = journal run_id
	PreflightID      *string                  `json:"preflight_id"`       // = journal preflight_id for mutating kinds
	Sequence         uint64                   `json:"sequence"`           // operation it reports on
	OperationID      string                   `json:"operation_id"`       // = that operation's id
	Kind             plan.BackupOperationKind `json:"kind"`               // = that operation's kind
	TargetCanisterID *string                  `json:"target_canister_id"` // = that operation's target
	Outcome          ReceiptOutcome           `json:"outcome"`            // completed, failed or skipped
	UpdatedAt        *string                  `json:"updated_at"`         // when the attempt ended
	SnapshotID       *string                  `json:"snapshot_id"`        // set by a completed create-snapshot
	ArtifactPath     *string                  `json:"artifact_path"`      // set by a completed download-snapshot
	Checksum         *string                  `json:"checksum"`           // set by a completed verify-artifact
	FailureReason    *string                  `json:"failure_reason"`     // set by a failed attempt
}

// IsPreflightKind reports whether kind is one of the four validate-* kinds.
// Every other kind counts as mutating for the execution journal (reference
// §4.1.1), including verify-artifact and finalize-manifest.
func IsPreflightKind(kind plan.BackupOperationKind) bool {
	switch kind {
	case plan.OpValidateTopology, plan.OpValidateControlAuthority,
		plan.OpValidateSnapshotReadAuthority, plan.OpValidateQuiescencePolicy:
		return true
	}
	return false
}

// IsMutatingKind reports whether the execution journal gates kind behind
// preflight acceptance.
func IsMutatingKind(kind plan.BackupOperationKind) bool { return !IsPreflightKind(kind) }

// Clone returns a deep copy of the journal.
func (j *BackupExecutionJournal) Clone() *BackupExecutionJournal {
	c := *j
	c.PreflightID = cloneString(j.PreflightID)
	c.Operations = make([]BackupExecutionJournalOperation, len(j.Operations))
	for i, op := range j.Operations {
		c.Operations[i] = op.Clone()
	}
	c.OperationReceipts = make([]BackupExecutionOperationReceipt, len(j.OperationReceipts))
	for i, r := range j.OperationReceipts {
		c.OperationReceipts[i] = r.Clone()
	}
	return &c
}

// Clone returns a deep copy of the operation.
func (op BackupExecutionJournalOperation) Clone() BackupExecutionJournalOperation {
	op.TargetCanisterID = cloneString(op.TargetCanisterID)
	op.StateUpdatedAt = cloneString(op.StateUpdatedAt)
	op.BlockingReasons = append([]string{}, op.BlockingReasons...)
	return op
}

// Clone returns a deep copy of the receipt.
func (r BackupExecutionOperationReceipt) Clone() BackupExecutionOperationReceipt {
	r.PreflightID = cloneString(r.PreflightID)
	r.TargetCanisterID = cloneString(r.TargetCanisterID)
	r.UpdatedAt = cloneString(r.UpdatedAt)
	r.SnapshotID = cloneString(r.SnapshotID)
	r.ArtifactPath = cloneString(r.ArtifactPath)
	r.Checksum = cloneString(r.Checksum)
	r.FailureReason = cloneString(r.FailureReason)
	return r
}

// Operation returns the operation with sequence seq, or nil.
func (j *BackupExecutionJournal) Operation(seq uint64) *BackupExecutionJournalOperation {
	if i, err := j.operationIndex(seq); err == nil {
		return &j.Operations[i]
	}
	return nil
}

// operationIndex finds the operation with sequence seq. Journals the tool
// writes hold operation seq at index seq (Validate requires sequences
// 0..len-1, each once), so that index is looked at first: a linear search
// for each of Validate's receipts made every journal update cost the square
// of the fleet. Otherwise (an array in another order) the first match wins.
// Only an invalid journal (duplicate sequences, which Validate refuses
// before it looks at a receipt) could hold another operation with seq.
func (j *BackupExecutionJournal) operationIndex(seq uint64) (int, error) {
	if seq < uint64(len(j.Operations)) && j.Operations[seq].Sequence == seq {
		return int(seq), nil
	}
	for i := range j.Operations {
		if j.Operations[i].Sequence == seq {
			return i, nil
		}
	}
	return -1, &ExecutionJournalError{Code: ErrOperationNotFound, Sequence: seq}
}
