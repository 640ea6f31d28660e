package journal

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Validation (§4.1.3): each rule, in order, with 0.35.1's exact text.
func TestExecutionJournalValidationRules(t *testing.T) {
	cases := []struct {
		name string
		edit func(j *BackupExecutionJournal)
		text string
	}{
		{"version", func(j *BackupExecutionJournal) { j.JournalVersion = 2 }, "unsupported backup execution journal version 2"},
		{"plan id", func(j *BackupExecutionJournal) { j.PlanID = " " }, "backup execution journal field plan_id is required"},
		{"run id", func(j *BackupExecutionJournal) { j.RunID = "" }, "backup execution journal field run_id is required"},
		{"blank preflight id", func(j *BackupExecutionJournal) { j.PreflightID = str("") }, "backup execution journal field preflight_id is required"},
		{"accepted without id", func(j *BackupExecutionJournal) { j.PreflightAccepted = true }, "accepted preflight is missing preflight_id"},
		{"duplicate sequence", func(j *BackupExecutionJournal) { j.Operations[3].Sequence = 2 }, "backup execution journal has duplicate operation sequence 2"},
		{"missing sequence", func(j *BackupExecutionJournal) { j.Operations[3].Sequence = 10 }, "backup execution journal is missing operation sequence 3"},
		{"operation id", func(j *BackupExecutionJournal) { j.Operations[0].OperationID = "" }, "backup execution journal field operations[].operation_id is required"},
		{"state_updated_at", func(j *BackupExecutionJournal) { j.Operations[0].StateUpdatedAt = str("") }, "backup execution journal field operations[].state_updated_at is required"},
		{"target", func(j *BackupExecutionJournal) { j.Operations[0].TargetCanisterID = str("\t") }, "backup execution journal field operations[].target_canister_id is required"},
		{"blocked without reason", func(j *BackupExecutionJournal) { j.Operations[4].BlockingReasons = []string{} }, "operation 4 is missing a blocking or failure reason"},
		{"ready with reason", func(j *BackupExecutionJournal) { j.Operations[0].BlockingReasons = []string{"x"} }, "operation 0 cannot have blocking reasons in its current state"},
		{"mutation ready early", func(j *BackupExecutionJournal) {
			j.Operations[5].State = StateReady
			j.Operations[5].BlockingReasons = []string{}
		}, "mutating operation 5 is ready before preflight acceptance"},
		{"bad state", func(j *BackupExecutionJournal) { j.Operations[1].State = "running" }, `backup execution journal field operations[].state has invalid value "running"`},
		{"receipt", func(j *BackupExecutionJournal) {
			r := CompletedReceipt(j, &j.Operations[0], nil)
			r.PlanID = "plan-x"
			j.OperationReceipts = append(j.OperationReceipts, r)
		}, "operation receipt does not match journal 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := newJournal(t)
			require.NoError(t, j.Validate())
			tc.edit(j)
			assert.EqualError(t, j.Validate(), tc.text)
			_, err := j.Encode()
			assert.EqualError(t, err, tc.text, "Encode refuses an invalid journal")
		})
	}
}

// Operations may appear in any array order.
func TestExecutionJournalAcceptsAnyOperationOrder(t *testing.T) {
	j := newJournal(t)
	j.Operations[0], j.Operations[9] = j.Operations[9], j.Operations[0]
	require.NoError(t, j.Validate())
	assert.Equal(t, uint64(0), j.NextReadyOperation().Sequence)
}

// §10.5 persistence lines for journals, at the codec level (core/layout
// adds the file handling).
func TestExecutionJournalRoundTripsThroughLayout(t *testing.T) {
	j := acceptedJournal(t)
	completeOperation(t, j, 4)
	data, err := j.Encode()
	require.NoError(t, err)
	back, err := DecodeExecutionJournal(data)
	require.NoError(t, err)
	assert.Equal(t, j, back)
}

func TestInvalidExecutionJournalIsNotWritten(t *testing.T) {
	j := newJournal(t)
	j.PlanID = ""
	data, err := j.Encode()
	require.ErrorIs(t, err, ErrMissingField)
	assert.Nil(t, data)
}
