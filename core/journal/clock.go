package journal

import (
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/timestamp"
)

// Stamp returns the clock's current time as a marker pointer, the form the
// execution journal's *At methods take: j.MarkNextOperationPendingAt(journal.Stamp(clock)).
func Stamp(c timestamp.Clock) *string {
	m := timestamp.Now(c)
	return &m
}

// Stamper binds a journal to a clock so callers need not pass timestamps.
// It holds no state besides its two fields.
type Stamper struct {
	// Journal is the execution journal being advanced.
	Journal *BackupExecutionJournal
	// Clock supplies every timestamp written.
	Clock timestamp.Clock
}

// AcceptPreflight accepts receipts stamped with the clock's time.
func (s Stamper) AcceptPreflight(r *plan.BackupExecutionPreflightReceipts) error {
	return s.Journal.AcceptPreflightReceiptsAt(r, Stamp(s.Clock))
}

// MarkNextPending marks the next runnable operation pending now.
func (s Stamper) MarkNextPending() error {
	return s.Journal.MarkNextOperationPendingAt(Stamp(s.Clock))
}

// Complete records a completed receipt for seq, stamped now; fill sets the
// kind-specific fields (snapshot id, artifact path, checksum) and may be nil.
func (s Stamper) Complete(seq uint64, fill func(*BackupExecutionOperationReceipt)) error {
	op := s.Journal.Operation(seq)
	if op == nil {
		return &ExecutionJournalError{Code: ErrOperationNotFound, Sequence: seq}
	}
	r := CompletedReceipt(s.Journal, op, Stamp(s.Clock))
	if fill != nil {
		fill(&r)
	}
	return s.Journal.RecordOperationReceipt(r)
}

// Fail records a failed receipt for seq with reason, stamped now.
func (s Stamper) Fail(seq uint64, reason string) error {
	op := s.Journal.Operation(seq)
	if op == nil {
		return &ExecutionJournalError{Code: ErrOperationNotFound, Sequence: seq}
	}
	return s.Journal.RecordOperationReceipt(FailedReceipt(s.Journal, op, Stamp(s.Clock), reason))
}

// RetryFailed resets every failed operation for retry, stamped now.
func (s Stamper) RetryFailed() ([]uint64, error) { return s.Journal.RetryFailed(Stamp(s.Clock)) }
