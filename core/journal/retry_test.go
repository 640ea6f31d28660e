package journal

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// failedAt4 returns an accepted journal whose stop (seq 4) failed with a
// logged receipt.
func failedAt4(t *testing.T) *BackupExecutionJournal {
	t.Helper()
	j := acceptedJournal(t)
	require.NoError(t, j.MarkOperationPendingAt(4, str("unix:20")))
	require.NoError(t, j.RecordOperationReceipt(FailedReceipt(j, j.Operation(4), str("unix:21"), "stop failed")))
	return j
}

func TestResetFailedForRetryKeepsLoggedFailure(t *testing.T) {
	j := failedAt4(t)
	require.NoError(t, j.ResetFailedForRetry(4, str("unix:30")))
	op := j.Operation(4)
	assert.Equal(t, StateReady, op.State)
	assert.Equal(t, str("unix:30"), op.StateUpdatedAt)
	assert.Empty(t, op.BlockingReasons)
	rs := j.ReceiptsFor(4)
	require.Len(t, rs, 1, "logged failure is not duplicated")
	assert.Equal(t, str("stop failed"), rs[0].FailureReason)
}

// A failed state with no matching receipt (e.g. written by another tool) is
// logged before the reset so the reason survives.
func TestResetFailedForRetryLogsUnrecordedFailure(t *testing.T) {
	j := acceptedJournal(t)
	op := &j.Operations[4]
	op.State = StateFailed
	op.StateUpdatedAt = str("unix:25")
	op.BlockingReasons = []string{"canister trapped", "out of cycles"}
	require.NoError(t, j.Validate())

	require.NoError(t, j.ResetFailedForRetry(4, str("unix:30")))
	rs := j.ReceiptsFor(4)
	require.Len(t, rs, 1)
	assert.Equal(t, OutcomeFailed, rs[0].Outcome)
	assert.Equal(t, str("canister trapped; out of cycles"), rs[0].FailureReason)
	assert.Equal(t, str("unix:25"), rs[0].UpdatedAt)
	assert.Equal(t, StateReady, j.Operation(4).State)
	require.NoError(t, j.MarkNextOperationPendingAt(nil))
	assert.Equal(t, StatePending, j.Operation(4).State)
}

// RetryFailedOperationAt (0.35.1's) resets the same way but logs nothing:
// an unrecorded failure's reasons are dropped, as 0.35.1 dropped them.
func TestRetryFailedOperationAtLogsNothing(t *testing.T) {
	j := acceptedJournal(t)
	op := &j.Operations[4]
	op.State = StateFailed
	op.BlockingReasons = []string{"canister trapped"}
	require.NoError(t, j.Validate())

	require.NoError(t, j.RetryFailedOperationAt(4, str("unix:30")))
	assert.Empty(t, j.ReceiptsFor(4))
	assert.Equal(t, StateReady, j.Operation(4).State)
	assert.Equal(t, str("unix:30"), j.Operation(4).StateUpdatedAt)
	assert.Empty(t, j.Operation(4).BlockingReasons)
}

func TestRetryFailedResetsAllOrNothing(t *testing.T) {
	j := acceptedJournal(t)
	got, err := j.RetryFailed(nil)
	require.NoError(t, err)
	assert.Equal(t, []uint64{}, got)

	j = failedAt4(t)
	before := j.Clone()
	_, err = j.RetryFailed(str(""))
	require.ErrorIs(t, err, ErrMissingField)
	assert.Equal(t, before, j, "a rejected retry changes nothing")

	got, err = j.RetryFailed(str("unix:40"))
	require.NoError(t, err)
	assert.Equal(t, []uint64{4}, got)
	assert.Equal(t, uint64(0), j.ResumeSummary().FailedOperations)
}

// pairwise admits any runnable operation while fewer than two are pending:
// a stand-in for the concurrent scheduler of issue 9, showing the state
// machine does not hard-code one pending operation.
type pairwise struct{}

func (pairwise) Admit(j *BackupExecutionJournal, seq uint64) error {
	pending := 0
	for _, op := range j.Operations {
		if op.State == StatePending {
			pending++
		}
	}
	if pending >= 2 {
		return &ExecutionJournalError{Code: ErrNoTransitionableOperation}
	}
	return nil
}

func TestCustomOrderingAllowsConcurrentPendingOperations(t *testing.T) {
	j := acceptedJournal(t)
	require.NoError(t, j.MarkOperationPendingWith(pairwise{}, 4, nil))
	require.NoError(t, j.MarkOperationPendingWith(pairwise{}, 6, nil))
	require.ErrorIs(t, j.MarkOperationPendingWith(pairwise{}, 7, nil), ErrNoTransitionableOperation)
	assert.Equal(t, uint64(2), j.ResumeSummary().PendingOperations)
	require.NoError(t, j.Validate(), "two pending operations are a valid journal")
	// The default ordering still refuses anything but the next operation.
	require.ErrorIs(t, j.MarkOperationPendingAt(7, nil), ErrOutOfOrderOperationTransition)
	runnable := j.RunnableOperations()
	require.NotEmpty(t, runnable)
	assert.Equal(t, uint64(4), runnable[0].Sequence)
}
