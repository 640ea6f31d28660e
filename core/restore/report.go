package restore

// ReportVersion is the journal report version.
const ReportVersion uint16 = 1

// ProgressSummary is RestoreApplyProgressSummary.
type ProgressSummary struct {
	OperationCount           int `json:"operation_count"`
	CompletedOperations      int `json:"completed_operations"`
	RemainingOperations      int `json:"remaining_operations"`
	TransitionableOperations int `json:"transitionable_operations"`
	AttentionOperations      int `json:"attention_operations"`
	CompletionBasisPoints    int `json:"completion_basis_points"`
}

// PendingSummary describes the lowest pending row.
type PendingSummary struct {
	PendingOperations         int            `json:"pending_operations"`
	PendingOperationAvailable bool           `json:"pending_operation_available"`
	PendingSequence           *int           `json:"pending_sequence"`
	PendingOperation          *OperationKind `json:"pending_operation"`
	PendingUpdatedAt          *string        `json:"pending_updated_at"`
	PendingUpdatedAtKnown     bool           `json:"pending_updated_at_known"`
}

// ReportOperation is a row as reports show it.
type ReportOperation struct {
	Sequence       int            `json:"sequence"`
	Operation      OperationKind  `json:"operation"`
	State          OperationState `json:"state"`
	MemberOrder    int            `json:"member_order"`
	Role           string         `json:"role"`
	SourceCanister string         `json:"source_canister"`
	TargetCanister string         `json:"target_canister"`
	StateUpdatedAt *string        `json:"state_updated_at"`
	Reasons        []string       `json:"reasons"`
}

// Report is the journal report whose fields the run response carries.
type Report struct {
	BackupID            string
	Outcome             ReportOutcome
	AttentionRequired   bool
	Ready               bool
	Complete            bool
	BlockedReasons      []string
	OperationCount      int
	OperationCounts     OperationKindCounts
	Progress            ProgressSummary
	PendingSummary      PendingSummary
	PendingOperations   int
	ReadyOperations     int
	BlockedOperations   int
	CompletedOperations int
	FailedOperations    int
	NextTransition      *ReportOperation
}

// Report summarizes the journal (0.35.1 §4.5).
func (j *Journal) Report() Report {
	r := Report{
		BackupID: j.BackupID, Ready: j.Ready, Complete: j.IsComplete(),
		BlockedReasons: append([]string{}, j.BlockedReasons...), OperationCount: j.OperationCount,
		OperationCounts: countKinds(j.Operations), PendingOperations: j.PendingOperations,
		ReadyOperations: j.ReadyOperations, BlockedOperations: j.BlockedOperations,
		CompletedOperations: j.CompletedOperations, FailedOperations: j.FailedOperations,
	}
	switch {
	case j.OperationCount == 0:
		r.Outcome = ReportEmpty
	case r.Complete:
		r.Outcome = ReportComplete
	case j.FailedOperations > 0:
		r.Outcome = ReportFailed
	case !j.Ready || j.BlockedOperations > 0:
		r.Outcome = ReportBlocked
	case j.PendingOperations > 0:
		r.Outcome = ReportPending
	default:
		r.Outcome = ReportInProgress
	}
	r.AttentionRequired = r.Outcome == ReportFailed || r.Outcome == ReportBlocked || r.Outcome == ReportPending
	r.Progress = ProgressSummary{
		OperationCount:           j.OperationCount,
		CompletedOperations:      j.CompletedOperations,
		RemainingOperations:      max(j.OperationCount-j.CompletedOperations, 0),
		TransitionableOperations: j.ReadyOperations + j.PendingOperations,
		AttentionOperations:      j.PendingOperations + j.BlockedOperations + j.FailedOperations,
	}
	if j.OperationCount > 0 {
		r.Progress.CompletionBasisPoints = j.CompletedOperations * 10000 / j.OperationCount
	}
	r.PendingSummary = PendingSummary{PendingOperations: j.PendingOperations}
	var pending *JournalOperation
	for i := range j.Operations {
		op := &j.Operations[i]
		if op.State == StatePending && (pending == nil || op.Sequence < pending.Sequence) {
			pending = op
		}
	}
	if pending != nil {
		seq, kind := pending.Sequence, pending.Operation
		r.PendingSummary.PendingOperationAvailable = true
		r.PendingSummary.PendingSequence = &seq
		r.PendingSummary.PendingOperation = &kind
		r.PendingSummary.PendingUpdatedAt = cloneStr(pending.StateUpdatedAt)
		r.PendingSummary.PendingUpdatedAtKnown = pending.StateUpdatedAt != nil &&
			!isBlank(*pending.StateUpdatedAt) && *pending.StateUpdatedAt != "unknown"
	}
	if next := j.NextTransition(); next != nil {
		ro := reportOperation(next)
		r.NextTransition = &ro
	}
	return r
}

func reportOperation(op *JournalOperation) ReportOperation {
	return ReportOperation{
		Sequence: op.Sequence, Operation: op.Operation, State: op.State, MemberOrder: op.MemberOrder,
		Role: op.Role, SourceCanister: op.SourceCanister, TargetCanister: op.TargetCanister,
		StateUpdatedAt: cloneStr(op.StateUpdatedAt), Reasons: append([]string{}, op.BlockingReasons...),
	}
}
