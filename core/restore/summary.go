package restore

// RunVersion is the runner response version.
const RunVersion uint16 = 1

// Run modes (run_mode).
type Mode string

// The runner's modes; ModeRetryFailed is new in canic-backup.
const (
	ModeDryRun         Mode = "dry-run"
	ModeExecute        Mode = "execute"
	ModeUnclaimPending Mode = "unclaim-pending"
	ModeRetryFailed    Mode = "retry-failed"
)

// Run receipt events.
const (
	EventCommandCompleted = "command-completed"
	EventCommandFailed    = "command-failed"
	EventPendingRecovered = "pending-recovered"
	EventFailedRetried    = "failed-retried"
)

// RunResponse is `restore run` output in 0.35.1's field order. Fields that
// belong to one mode are omitted in the others.
type RunResponse struct {
	RunVersion     uint16 `json:"run_version"`
	BackupID       string `json:"backup_id"`
	RunMode        Mode   `json:"run_mode"`
	DryRun         bool   `json:"dry_run"`
	Execute        bool   `json:"execute"`
	UnclaimPending bool   `json:"unclaim_pending"`
	// RetryFailed is present only in retry-failed mode.
	RetryFailed             bool                `json:"retry_failed,omitempty" wire:"default"`
	StoppedReason           string              `json:"stopped_reason"`
	NextAction              string              `json:"next_action"`
	RequestedStateUpdatedAt *string             `json:"requested_state_updated_at,omitempty"`
	MaxStepsReached         *bool               `json:"max_steps_reached,omitempty"`
	ExecutedOperations      []ExecutedOperation `json:"executed_operations,omitempty" wire:"default"`
	OperationReceipts       []RunReceipt        `json:"operation_receipts,omitempty" wire:"default"`
	OperationReceiptCount   int                 `json:"operation_receipt_count"`
	OperationReceiptSummary RunReceiptSummary   `json:"operation_receipt_summary"`
	ExecutedOperationCount  *int                `json:"executed_operation_count,omitempty"`
	RecoveredOperation      *JournalOperation   `json:"recovered_operation,omitempty"`
	RetriedOperation        *JournalOperation   `json:"retried_operation,omitempty"`
	Ready                   bool                `json:"ready"`
	Complete                bool                `json:"complete"`
	AttentionRequired       bool                `json:"attention_required"`
	Outcome                 ReportOutcome       `json:"outcome"`
	OperationCount          int                 `json:"operation_count"`
	OperationCounts         OperationKindCounts `json:"operation_counts"`
	Progress                ProgressSummary     `json:"progress"`
	PendingSummary          PendingSummary      `json:"pending_summary"`
	PendingOperations       int                 `json:"pending_operations"`
	ReadyOperations         int                 `json:"ready_operations"`
	BlockedOperations       int                 `json:"blocked_operations"`
	CompletedOperations     int                 `json:"completed_operations"`
	FailedOperations        int                 `json:"failed_operations"`
	BlockedReasons          []string            `json:"blocked_reasons"`
	NextTransition          *ReportOperation    `json:"next_transition"`
	OperationAvailable      *bool               `json:"operation_available,omitempty"`
	CommandAvailable        *bool               `json:"command_available,omitempty"`
	Command                 *RunnerCommand      `json:"command,omitempty"`
}

// RunReceiptSummary counts the batch's run receipts by event.
type RunReceiptSummary struct {
	TotalReceipts    int `json:"total_receipts"`
	CommandCompleted int `json:"command_completed"`
	CommandFailed    int `json:"command_failed"`
	PendingRecovered int `json:"pending_recovered"`
	// FailedRetried is present only when a failed operation was retried.
	FailedRetried int `json:"failed_retried,omitempty" wire:"default"`
}

// RunReceipt is one event of this batch.
type RunReceipt struct {
	Event          string         `json:"event"`
	Sequence       int            `json:"sequence"`
	Operation      OperationKind  `json:"operation"`
	TargetCanister string         `json:"target_canister"`
	State          string         `json:"state"`
	UpdatedAt      *string        `json:"updated_at,omitempty"`
	Command        *RunnerCommand `json:"command,omitempty"`
	Status         *string        `json:"status,omitempty"`
}

// ExecutedOperation is one operation executed in this batch.
type ExecutedOperation struct {
	Sequence       int           `json:"sequence"`
	Operation      OperationKind `json:"operation"`
	TargetCanister string        `json:"target_canister"`
	Command        RunnerCommand `json:"command"`
	Status         string        `json:"status"`
	State          string        `json:"state"`
}

// Stopped reasons and next actions.
const (
	StoppedBlocked          = "blocked"
	StoppedCommandFailed    = "command-failed"
	StoppedComplete         = "complete"
	StoppedMaxSteps         = "max-steps-reached"
	StoppedPending          = "pending"
	StoppedPreview          = "preview"
	StoppedReady            = "ready"
	StoppedRecoveredPending = "recovered-pending"
	StoppedRetriedFailed    = "retried-failed"
	StoppedExecutorError    = "executor-error"

	NextDone           = "done"
	NextFixBlocked     = "fix-blocked-journal"
	NextInspectFailed  = "inspect-failed-operation"
	NextRerun          = "rerun"
	NextUnclaimPending = "unclaim-pending"
)

func newResponse(mode Mode, r Report) *RunResponse {
	resp := &RunResponse{
		RunVersion: RunVersion, BackupID: r.BackupID, RunMode: mode,
		DryRun: mode == ModeDryRun, Execute: mode == ModeExecute,
		UnclaimPending: mode == ModeUnclaimPending, RetryFailed: mode == ModeRetryFailed,
		NextAction: nextAction(r),
	}
	resp.setReport(r)
	return resp
}

func (resp *RunResponse) setReport(r Report) {
	resp.Ready, resp.Complete, resp.AttentionRequired, resp.Outcome = r.Ready, r.Complete, r.AttentionRequired, r.Outcome
	resp.OperationCount, resp.OperationCounts, resp.Progress, resp.PendingSummary = r.OperationCount, r.OperationCounts, r.Progress, r.PendingSummary
	resp.PendingOperations, resp.ReadyOperations, resp.BlockedOperations = r.PendingOperations, r.ReadyOperations, r.BlockedOperations
	resp.CompletedOperations, resp.FailedOperations = r.CompletedOperations, r.FailedOperations
	resp.BlockedReasons, resp.NextTransition = r.BlockedReasons, r.NextTransition
	resp.NextAction = nextAction(r)
}

func (resp *RunResponse) addReceipt(rr RunReceipt) {
	resp.OperationReceipts = append(resp.OperationReceipts, rr)
	resp.OperationReceiptCount = len(resp.OperationReceipts)
	s := &resp.OperationReceiptSummary
	s.TotalReceipts++
	switch rr.Event {
	case EventCommandCompleted:
		s.CommandCompleted++
	case EventCommandFailed:
		s.CommandFailed++
	case EventPendingRecovered:
		s.PendingRecovered++
	case EventFailedRetried:
		s.FailedRetried++
	}
}

func stoppedReason(r Report) string {
	switch {
	case r.Complete:
		return StoppedComplete
	case r.FailedOperations > 0:
		return StoppedCommandFailed
	case r.PendingOperations > 0:
		return StoppedPending
	case !r.Ready || r.BlockedOperations > 0:
		return StoppedBlocked
	}
	return ""
}

func nextAction(r Report) string {
	switch {
	case r.Complete:
		return NextDone
	case r.FailedOperations > 0:
		return NextInspectFailed
	case r.PendingOperations > 0:
		return NextUnclaimPending
	case !r.Ready || r.BlockedOperations > 0:
		return NextFixBlocked
	}
	return NextRerun
}
