package journal

import (
	"cmp"
	"slices"
)

// Ordering decides whether an operation may be marked pending now. It is
// the one place that encodes "how many operations may run at once", so a
// concurrent runner can replace it without touching the state machine.
type Ordering interface {
	// Admit returns nil when operation seq of j may become pending, else an
	// *ExecutionJournalError (typically ErrOutOfOrderOperationTransition or
	// ErrNoTransitionableOperation).
	Admit(j *BackupExecutionJournal, seq uint64) error
}

// Sequential is 0.35.1's ordering: only the next runnable operation (lowest
// sequence among ready, pending and failed) may be marked pending.
type Sequential struct{}

// Admit implements Ordering.
func (Sequential) Admit(j *BackupExecutionJournal, seq uint64) error {
	next := j.NextReadyOperation()
	if next == nil {
		return &ExecutionJournalError{Code: ErrNoTransitionableOperation}
	}
	if next.Sequence != seq {
		return &ExecutionJournalError{Code: ErrOutOfOrderOperationTransition, Requested: seq, Next: next.Sequence}
	}
	return nil
}

// NextReadyOperation returns the runnable operation (ready, pending or
// failed) with the smallest sequence, or nil. Blocked, completed and skipped
// operations are passed over.
func (j *BackupExecutionJournal) NextReadyOperation() *BackupExecutionJournalOperation {
	var best *BackupExecutionJournalOperation
	for i := range j.Operations {
		op := &j.Operations[i]
		if op.State.Runnable() && (best == nil || op.Sequence < best.Sequence) {
			best = op
		}
	}
	return best
}

// RunnableOperations returns every runnable operation (ready, pending or
// failed) in sequence order — the candidates a concurrent Ordering chooses
// from.
func (j *BackupExecutionJournal) RunnableOperations() []BackupExecutionJournalOperation {
	var out []BackupExecutionJournalOperation
	for _, op := range j.Operations {
		if op.State.Runnable() {
			out = append(out, op.Clone())
		}
	}
	sortOperations(out)
	return out
}

func sortOperations(ops []BackupExecutionJournalOperation) {
	slices.SortFunc(ops, func(a, b BackupExecutionJournalOperation) int { return cmp.Compare(a.Sequence, b.Sequence) })
}
