package journal

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/plan"
)

// §10.2 execution (8): one test per 0.35.1 test, same names.

func TestJournalBlocksMutationUntilPreflightIsAccepted(t *testing.T) {
	j := newJournal(t)
	assert.False(t, j.PreflightAccepted)
	require.NotNil(t, j.NextReadyOperation())
	assert.Equal(t, plan.OpValidateTopology, j.NextReadyOperation().Kind)
	stops := 0
	for _, op := range j.Operations {
		if op.Kind == plan.OpStop {
			stops++
			assert.Equal(t, StateBlocked, op.State)
			assert.Equal(t, []string{ReasonPreflightNotAccepted}, op.BlockingReasons)
		}
	}
	assert.Equal(t, 1, stops)
}

func TestAcceptingPreflightUnblocksFirstMutatingOperation(t *testing.T) {
	j := newJournal(t)
	require.NoError(t, j.AcceptPreflightReceiptsAt(receiptsFor(memberPlan()), str("unix:10")))
	assert.True(t, j.PreflightAccepted)
	require.NotNil(t, j.PreflightID)
	assert.Equal(t, preflightID, *j.PreflightID)
	assert.Equal(t, plan.OpStop, j.NextReadyOperation().Kind)
	for _, op := range j.Operations {
		if IsPreflightKind(op.Kind) {
			assert.Equal(t, StateCompleted, op.State)
			assert.Equal(t, str("unix:10"), op.StateUpdatedAt)
		} else {
			assert.Equal(t, StateReady, op.State)
			assert.Nil(t, op.StateUpdatedAt, "unblocking does not stamp")
			assert.Empty(t, op.BlockingReasons)
		}
	}
}

func TestRejectsPreflightReceiptsForDifferentPlan(t *testing.T) {
	j := newJournal(t)
	p := memberPlan()
	p.PlanID = "plan-other"
	err := j.AcceptPreflightReceiptsAt(receiptsFor(p), str("unix:10"))
	var je *ExecutionJournalError
	require.ErrorAs(t, err, &je)
	assert.Equal(t, ErrPreflightPlanMismatch, je.Code)
	assert.Equal(t, "plan-001", je.Expected)
	assert.Equal(t, "plan-other", je.Actual)
	assert.EqualError(t, err, "preflight receipt plan id plan-other does not match execution journal plan plan-001")
	assert.False(t, j.PreflightAccepted)
}

func TestRejectsOutOfOrderMutation(t *testing.T) {
	j := acceptedJournal(t)
	err := j.MarkOperationPendingAt(5, str("unix:20"))
	var je *ExecutionJournalError
	require.ErrorAs(t, err, &je)
	assert.Equal(t, ErrOutOfOrderOperationTransition, je.Code)
	assert.Equal(t, uint64(5), je.Requested)
	assert.Equal(t, uint64(4), je.Next)
	assert.EqualError(t, err, "operation 5 cannot advance before operation 4")
}

func TestCompletedStopSetsRestartRequired(t *testing.T) {
	j := acceptedJournal(t)
	completeOperation(t, j, 4)
	assert.True(t, j.RestartRequired)
	s := j.ResumeSummary()
	assert.True(t, s.RestartRequired)
	require.NotNil(t, s.NextOperation)
	assert.Equal(t, plan.OpCreateSnapshot, s.NextOperation.Kind)
}

func TestSnapshotCompletionRequiresSnapshotID(t *testing.T) {
	j := acceptedJournal(t)
	completeOperation(t, j, 4)
	require.NoError(t, j.MarkOperationPendingAt(5, str("unix:30")))
	r := CompletedReceipt(j, j.Operation(5), str("unix:31"))
	err := j.RecordOperationReceipt(r)
	require.ErrorIs(t, err, ErrMissingField)
	assert.EqualError(t, err, "backup execution journal field operation_receipts[].snapshot_id is required")
	assert.Equal(t, StatePending, j.Operation(5).State, "rejected receipt leaves the operation pending")
	assert.Len(t, j.OperationReceipts, 1)
}

func TestFailedSnapshotAfterStopIsRetryableAndRequiresRestart(t *testing.T) {
	j := acceptedJournal(t)
	completeOperation(t, j, 4)
	require.NoError(t, j.MarkOperationPendingAt(5, str("unix:30")))
	r := FailedReceipt(j, j.Operation(5), str("unix:31"), "snapshot failed")
	require.NoError(t, j.RecordOperationReceipt(r))

	assert.True(t, j.RestartRequired)
	assert.Equal(t, StateFailed, j.Operation(5).State)
	assert.Equal(t, []string{"snapshot failed"}, j.Operation(5).BlockingReasons)
	assert.Equal(t, uint64(5), j.ResumeSummary().NextOperation.Sequence)

	require.NoError(t, j.RetryFailedOperationAt(5, str("unix:32")))
	assert.Equal(t, StateReady, j.Operation(5).State)
	assert.Empty(t, j.Operation(5).BlockingReasons)
	assert.Equal(t, str("unix:32"), j.Operation(5).StateUpdatedAt)
	assert.True(t, j.RestartRequired)
}

func TestRejectsDifferentPreflightAfterAcceptance(t *testing.T) {
	j := acceptedJournal(t)
	err := j.AcceptPreflightBundleAt("preflight-other", str("unix:11"))
	require.ErrorIs(t, err, ErrPreflightAlreadyAccepted)
	assert.EqualError(t, err, "preflight already accepted as preflight-001, cannot accept preflight-other")
	// The same id may be accepted again.
	require.NoError(t, j.AcceptPreflightBundleAt(preflightID, str("unix:12")))
}

// Transition table (§4.1.4): every rejected transition with its exact text.
func TestRejectedTransitionsHaveExactTexts(t *testing.T) {
	cases := []struct {
		name string
		run  func(j *BackupExecutionJournal) error
		code ExecutionErrorCode
		text string
	}{
		{"mutation before acceptance", func(j *BackupExecutionJournal) error {
			// Force the gate: complete every preflight op by hand so stop is next.
			for i := 0; i < 4; i++ {
				j.Operations[i].State = StateCompleted
			}
			j.Operations[4].State = StateReady
			j.Operations[4].BlockingReasons = []string{}
			return j.MarkOperationPendingAt(4, nil)
		}, ErrMutationBeforePreflightAccepted, "mutating operation 4 cannot run before preflight acceptance"},
		{"pending to pending", func(j *BackupExecutionJournal) error {
			require.NoError(t, j.MarkOperationPendingAt(0, nil))
			return j.MarkOperationPendingAt(0, nil)
		}, ErrInvalidOperationTransition, "operation 0 cannot transition from Pending to Pending"},
		{"receipt without pending", func(j *BackupExecutionJournal) error {
			return j.RecordOperationReceipt(CompletedReceipt(j, j.Operation(0), nil))
		}, ErrReceiptWithoutPendingOperation, "operation receipt 0 has no pending operation"},
		{"retry of non-failed", func(j *BackupExecutionJournal) error {
			return j.RetryFailedOperationAt(0, nil)
		}, ErrOperationNotFailed, "operation 0 is not failed"},
		{"reset of non-failed", func(j *BackupExecutionJournal) error {
			return j.ResetFailedForRetry(0, nil)
		}, ErrOperationNotFailed, "operation 0 is not failed"},
		{"unknown sequence", func(j *BackupExecutionJournal) error {
			return j.RetryFailedOperationAt(99, nil)
		}, ErrOperationNotFound, "operation 99 was not found"},
		{"blank timestamp", func(j *BackupExecutionJournal) error {
			return j.MarkOperationPendingAt(0, str(" "))
		}, ErrMissingField, "backup execution journal field updated_at is required"},
		{"blank preflight id", func(j *BackupExecutionJournal) error {
			return j.AcceptPreflightBundleAt("", nil)
		}, ErrMissingField, "backup execution journal field preflight_id is required"},
		{"blank bundle plan", func(j *BackupExecutionJournal) error {
			return j.AcceptPreflightReceiptsAt(&plan.BackupExecutionPreflightReceipts{PreflightID: "x"}, nil)
		}, ErrMissingField, "backup execution journal field preflight_receipts.plan_id is required"},
		{"nothing left", func(j *BackupExecutionJournal) error {
			for i := range j.Operations {
				j.Operations[i].State = StateBlocked
			}
			return j.MarkNextOperationPendingAt(nil)
		}, ErrNoTransitionableOperation, "no operation can be advanced"},
		{"receipt for missing op", func(j *BackupExecutionJournal) error {
			r := CompletedReceipt(j, j.Operation(0), nil)
			r.Sequence = 42
			return j.RecordOperationReceipt(r)
		}, ErrReceiptOperationNotFound, "operation receipt references missing operation 42"},
		{"receipt for other op", func(j *BackupExecutionJournal) error {
			r := CompletedReceipt(j, j.Operation(0), nil)
			r.OperationID = "other"
			return j.RecordOperationReceipt(r)
		}, ErrReceiptOperationMismatch, "operation receipt does not match operation 0"},
		{"receipt for other run", func(j *BackupExecutionJournal) error {
			r := CompletedReceipt(j, j.Operation(0), nil)
			r.RunID = "run-other"
			return j.RecordOperationReceipt(r)
		}, ErrReceiptJournalMismatch, "operation receipt does not match journal 0"},
		{"receipt for other preflight", func(j *BackupExecutionJournal) error {
			r := CompletedReceipt(j, j.Operation(4), nil)
			r.PreflightID = str("preflight-x")
			return j.RecordOperationReceipt(r)
		}, ErrReceiptPreflightMismatch, "operation receipt does not match accepted preflight 4"},
		{"failed receipt without reason", func(j *BackupExecutionJournal) error {
			require.NoError(t, j.MarkOperationPendingAt(0, nil))
			r := CompletedReceipt(j, j.Operation(0), nil)
			r.Outcome = OutcomeFailed
			return j.RecordOperationReceipt(r)
		}, ErrMissingField, "backup execution journal field operation_receipts[].failure_reason is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := newJournal(t)
			err := tc.run(j)
			require.Error(t, err)
			assert.True(t, errors.Is(err, tc.code), "code %v, got %v", tc.code, err)
			assert.EqualError(t, err, tc.text)
		})
	}
}

// 0.35.1 quirk 11: a receipt that fails post-validation left the operation
// in its new state. Here nothing changes.
func TestRejectedReceiptRollsBackOperationState(t *testing.T) {
	j := acceptedJournal(t)
	require.NoError(t, j.MarkOperationPendingAt(4, str("unix:20")))
	before := j.Clone()
	r := CompletedReceipt(j, j.Operation(4), str("unix:21"))
	r.FailureReason = str("completed but with a reason")
	err := j.RecordOperationReceipt(r)
	require.ErrorIs(t, err, ErrUnblockedOperationHasReasons)
	assert.EqualError(t, err, "operation 4 cannot have blocking reasons in its current state")
	assert.Equal(t, before, j)
}

func TestFailedOperationIsRetriedDirectlyFromFailed(t *testing.T) {
	j := acceptedJournal(t)
	require.NoError(t, j.MarkOperationPendingAt(4, nil))
	require.NoError(t, j.RecordOperationReceipt(FailedReceipt(j, j.Operation(4), nil, "boom")))
	require.NoError(t, j.MarkNextOperationPendingAt(str("unix:40")))
	assert.Equal(t, StatePending, j.Operation(4).State)
	assert.Empty(t, j.Operation(4).BlockingReasons)
	require.NoError(t, j.RecordOperationReceipt(CompletedReceipt(j, j.Operation(4), str("unix:41"))))
	rs := j.ReceiptsFor(4)
	require.Len(t, rs, 2, "receipt log is append-only")
	assert.Equal(t, OutcomeFailed, rs[0].Outcome)
	assert.Equal(t, OutcomeCompleted, rs[1].Outcome)
}

func TestRestartRequiredClearsWhenStartCompletes(t *testing.T) {
	j := acceptedJournal(t)
	for seq := uint64(4); seq <= 6; seq++ {
		completeOperation(t, j, seq)
		assert.Equal(t, seq != 6, j.RestartRequired, "after seq %d", seq)
	}
	for seq := uint64(7); seq <= 9; seq++ {
		completeOperation(t, j, seq)
	}
	assert.True(t, j.Complete())
	assert.Nil(t, j.NextReadyOperation())
	require.ErrorIs(t, j.MarkNextOperationPendingAt(nil), ErrNoTransitionableOperation)
	snap, ok := j.LatestSnapshotID(appID)
	assert.True(t, ok)
	assert.Equal(t, "snap-1", snap)
}

func TestFromPlanRejectsInvalidPlan(t *testing.T) {
	p := memberPlan()
	p.Phases[1].Order = 0
	_, err := FromPlan(p)
	require.ErrorIs(t, err, ErrInvalidPlan)
	assert.EqualError(t, err, "invalid backup plan for execution journal: operation validate-control-authority has order 0, expected 1")
	var je *ExecutionJournalError
	require.ErrorAs(t, err, &je)
	assert.NotNil(t, errors.Unwrap(err), "the plan error is wrapped")
}

// TestOperationFindsBySequenceInAnyOrder: the constant-time lookup (operation
// seq at index seq) and the scan of an array in another order give the
// operation with that sequence; an unknown one is nil.
func TestOperationFindsBySequenceInAnyOrder(t *testing.T) {
	ordered := &BackupExecutionJournal{Operations: []BackupExecutionJournalOperation{
		{Sequence: 0, OperationID: "a"}, {Sequence: 1, OperationID: "b"}, {Sequence: 2, OperationID: "c"}}}
	shuffled := &BackupExecutionJournal{Operations: []BackupExecutionJournalOperation{
		{Sequence: 2, OperationID: "c"}, {Sequence: 0, OperationID: "a"}, {Sequence: 1, OperationID: "b"}}}
	for _, j := range []*BackupExecutionJournal{ordered, shuffled} {
		for seq, id := range []string{"a", "b", "c"} {
			op := j.Operation(uint64(seq))
			require.NotNil(t, op, seq)
			assert.Equal(t, id, op.OperationID)
			assert.Equal(t, uint64(seq), op.Sequence)
		}
		assert.Nil(t, j.Operation(3))
	}
}
