package restore

var legalTransitions = map[OperationState]map[OperationState]bool{
	StateReady:     {StatePending: true, StateCompleted: true, StateFailed: true},
	StatePending:   {StatePending: true, StateReady: true, StateCompleted: true, StateFailed: true},
	StateCompleted: {StateCompleted: true},
	StateFailed:    {StateReady: true, StateFailed: true},
	StateBlocked:   {},
}

// transition moves row seq to state `to` under 0.35.1's rules (§4.3):
// legality, then the ordering guard (only the next transitionable row may
// change state), then recount and full validation.
func (j *Journal) transition(seq int, to OperationState, reasons []string, updatedAt *string) error {
	op := j.operation(seq)
	if op == nil {
		return newError(CodeOperationNotFound, "restore apply journal operation %d was not found", seq).withSeq(seq)
	}
	if !legalTransitions[op.State][to] {
		return newError(CodeInvalidTransition, "restore apply journal operation %d cannot transition from %s to %s", seq, op.State.RustName(), to.RustName()).withSeq(seq)
	}
	if op.State != to {
		next := j.NextTransition()
		if next == nil {
			return newError(CodeNoTransitionableOperation, "restore apply journal has no operation that can be advanced")
		}
		if next.Sequence != seq {
			return newError(CodeOutOfOrder, "restore apply journal operation %d cannot advance before operation %d", seq, next.Sequence).withSeq(seq)
		}
	}
	op.State = to
	op.BlockingReasons = append([]string{}, reasons...)
	op.StateUpdatedAt = cloneStr(updatedAt)
	j.recount()
	return j.Validate()
}

// MarkPending claims row seq (ready → pending).
func (j *Journal) MarkPending(seq int, at string) error {
	return j.transition(seq, StatePending, nil, &at)
}

// MarkCompleted completes row seq.
func (j *Journal) MarkCompleted(seq int, at string) error {
	return j.transition(seq, StateCompleted, nil, &at)
}

// MarkFailed fails row seq with reason (stored exactly; blank is refused).
func (j *Journal) MarkFailed(seq int, reason, at string) error {
	if isBlank(reason) {
		return newError(CodeFailureReasonRequired, "failed restore apply journal operation %d requires a reason", seq).withSeq(seq)
	}
	return j.transition(seq, StateFailed, []string{reason}, &at)
}

// UnclaimPending releases the next transitionable row, which must be
// pending (pending → ready).
func (j *Journal) UnclaimPending(at string) (*JournalOperation, error) {
	next := j.NextTransition()
	if next == nil {
		return nil, newError(CodeNoTransitionableOperation, "restore apply journal has no operation that can be advanced")
	}
	if next.State != StatePending {
		return nil, newError(CodeNoPendingOperation, "restore apply journal has no pending operation to release")
	}
	before := cloneOperation(*next)
	if err := j.transition(next.Sequence, StateReady, nil, &at); err != nil {
		return nil, err
	}
	return &before, nil
}

// RetryFailed makes the next transitionable row, which must be failed,
// ready again (failed → ready). 0.35.1 had this only as a library call.
func (j *Journal) RetryFailed(at string) (*JournalOperation, error) {
	next := j.NextTransition()
	if next == nil || next.State != StateFailed {
		return nil, newError(CodeNoFailedOperation, "restore apply journal has no failed operation to retry")
	}
	before := cloneOperation(*next)
	if err := j.transition(next.Sequence, StateReady, nil, &at); err != nil {
		return nil, err
	}
	return &before, nil
}

// RecordReceipt appends a receipt and validates; an invalid receipt is
// removed again and its error returned.
func (j *Journal) RecordReceipt(r OperationReceipt) error {
	j.OperationReceipts = append(j.OperationReceipts, r)
	if err := j.Validate(); err != nil {
		j.OperationReceipts = j.OperationReceipts[:len(j.OperationReceipts)-1]
		return err
	}
	return nil
}

func cloneOperation(op JournalOperation) JournalOperation {
	op.StateUpdatedAt = cloneStr(op.StateUpdatedAt)
	op.BlockingReasons = append([]string{}, op.BlockingReasons...)
	op.SnapshotID = cloneStr(op.SnapshotID)
	op.ArtifactPath = cloneStr(op.ArtifactPath)
	op.VerificationKind = cloneStr(op.VerificationKind)
	return op
}
