package journal

import "strings"

// ResetFailedForRetry moves failed operation seq back to ready so a resumed
// run starts it again, without hand-editing the journal. The failure is
// never lost: if the receipt log does not already end (for this operation)
// with a failed receipt, one is appended first, carrying the operation's
// failure reasons and the failure's original timestamp. Operations after
// seq are untouched.
//
// 0.35.1 had retry_failed_operation_at but no caller and no CLI; its
// version also dropped the reason of a failure that was not in the log.
func (j *BackupExecutionJournal) ResetFailedForRetry(seq uint64, updatedAt *string) error {
	return j.retryFailed(seq, updatedAt, true)
}

// retryFailed moves failed operation seq back to ready, stamped updatedAt,
// its reasons cleared; with logFailure it first appends a failed receipt
// unless the log already ends (for seq) with this failure.
func (j *BackupExecutionJournal) retryFailed(seq uint64, updatedAt *string, logFailure bool) error {
	if err := optionalNonempty("updated_at", updatedAt); err != nil {
		return err
	}
	idx, err := j.operationIndex(seq)
	if err != nil {
		return err
	}
	if j.Operations[idx].State != StateFailed {
		return &ExecutionJournalError{Code: ErrOperationNotFailed, Sequence: seq}
	}
	return j.mutate(func(j *BackupExecutionJournal) error {
		op := &j.Operations[idx]
		if logFailure && !j.failureLogged(op) {
			reason := strings.Join(op.BlockingReasons, "; ")
			j.OperationReceipts = append(j.OperationReceipts, FailedReceipt(j, op, op.StateUpdatedAt, reason))
		}
		op.State = StateReady
		op.StateUpdatedAt = cloneString(updatedAt)
		op.BlockingReasons = []string{}
		return nil
	})
}

// RetryFailed resets every failed operation for retry (ResetFailedForRetry)
// and returns their sequences in ascending order. With no failed operation
// it does nothing and returns an empty slice. It is all-or-nothing.
func (j *BackupExecutionJournal) RetryFailed(updatedAt *string) ([]uint64, error) {
	var failed []uint64
	for _, op := range j.RunnableOperations() {
		if op.State == StateFailed {
			failed = append(failed, op.Sequence)
		}
	}
	next := j.Clone()
	for _, seq := range failed {
		if err := next.ResetFailedForRetry(seq, updatedAt); err != nil {
			return nil, err
		}
	}
	*j = *next
	if failed == nil {
		failed = []uint64{}
	}
	return failed, nil
}

// failureLogged reports whether the last receipt of op is a failed one
// whose reason matches the operation's current failure.
func (j *BackupExecutionJournal) failureLogged(op *BackupExecutionJournalOperation) bool {
	for i := len(j.OperationReceipts) - 1; i >= 0; i-- {
		r := &j.OperationReceipts[i]
		if r.Sequence != op.Sequence {
			continue
		}
		return r.Outcome == OutcomeFailed && r.FailureReason != nil &&
			len(op.BlockingReasons) == 1 && op.BlockingReasons[0] == *r.FailureReason
	}
	return false
}
