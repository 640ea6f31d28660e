package journal

// BackupExecutionResumeSummary counts operations per state and names the
// next one to run (reference §4.1.9).
type BackupExecutionResumeSummary struct {
	PlanID              string                           `json:"plan_id"`              // journal plan id
	RunID               string                           `json:"run_id"`               // journal run id
	PreflightID         *string                          `json:"preflight_id"`         // accepted preflight, if any
	PreflightAccepted   bool                             `json:"preflight_accepted"`   // preflight accepted
	RestartRequired     bool                             `json:"restart_required"`     // canisters may be left stopped
	TotalOperations     uint64                           `json:"total_operations"`     // all operations
	ReadyOperations     uint64                           `json:"ready_operations"`     // in ready
	PendingOperations   uint64                           `json:"pending_operations"`   // in pending
	BlockedOperations   uint64                           `json:"blocked_operations"`   // in blocked
	CompletedOperations uint64                           `json:"completed_operations"` // in completed
	FailedOperations    uint64                           `json:"failed_operations"`    // in failed
	SkippedOperations   uint64                           `json:"skipped_operations"`   // in skipped
	NextOperation       *BackupExecutionJournalOperation `json:"next_operation"`       // NextReadyOperation, copied
}

// ResumeSummary summarises the journal for `backup status` and the runner.
func (j *BackupExecutionJournal) ResumeSummary() BackupExecutionResumeSummary {
	s := BackupExecutionResumeSummary{
		PlanID:            j.PlanID,
		RunID:             j.RunID,
		PreflightID:       cloneString(j.PreflightID),
		PreflightAccepted: j.PreflightAccepted,
		RestartRequired:   j.RestartRequired,
		TotalOperations:   uint64(len(j.Operations)),
	}
	if next := j.NextReadyOperation(); next != nil {
		c := next.Clone()
		s.NextOperation = &c
	}
	for _, op := range j.Operations {
		switch op.State {
		case StateReady:
			s.ReadyOperations++
		case StatePending:
			s.PendingOperations++
		case StateBlocked:
			s.BlockedOperations++
		case StateCompleted:
			s.CompletedOperations++
		case StateFailed:
			s.FailedOperations++
		case StateSkipped:
			s.SkippedOperations++
		}
	}
	return s
}

// Complete reports whether every operation is completed or skipped.
func (s BackupExecutionResumeSummary) Complete() bool {
	return s.CompletedOperations+s.SkippedOperations == s.TotalOperations
}

// Complete reports whether every operation is completed or skipped.
func (j *BackupExecutionJournal) Complete() bool { return j.ResumeSummary().Complete() }
