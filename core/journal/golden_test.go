package journal

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/golden"
)

var executionGoldens = []string{
	"backup/backup-execution-journal.json",
	"backup/extra/initial.backup-execution-journal.json",
	"backup/extra/dry-run.backup-execution-journal.json",
	"backup/extra/partial.backup-execution-journal.json",
	"backup/extra/failed-run.backup-execution-journal.json",
	"backup/extra/failed-run.resumed.backup-execution-journal.json",
	"backup/extra/nonroot-fleet-failed.backup-execution-journal.json",
}

var downloadGoldens = []string{
	"backup/download-journal.json",
	"backup/extra/partial.download-journal.json",
	"backup/extra/failed-run.download-journal.json",
	"backup/extra/snapshot-download.download-journal.json",
}

// Every journal golden decodes, validates and re-encodes byte-identical.
func TestExecutionJournalGoldensRoundTrip(t *testing.T) {
	for _, rel := range executionGoldens {
		t.Run(rel, func(t *testing.T) {
			data := golden.Read(t, rel)
			j, err := DecodeExecutionJournal(data)
			require.NoError(t, err)
			out, err := j.Encode()
			require.NoError(t, err)
			assert.Equal(t, string(data), string(out))
		})
	}
}

func TestDownloadJournalGoldensRoundTrip(t *testing.T) {
	for _, rel := range downloadGoldens {
		t.Run(rel, func(t *testing.T) {
			data := golden.Read(t, rel)
			j, err := DecodeDownloadJournal(data)
			require.NoError(t, err)
			out, err := j.Encode()
			require.NoError(t, err)
			assert.Equal(t, string(data), string(out))
		})
	}
}

func readPlan(t *testing.T, rel string) *plan.BackupPlan {
	t.Helper()
	var p plan.BackupPlan
	require.NoError(t, wire.Unmarshal(golden.Read(t, rel), &p))
	return &p
}

// A journal built from the golden plan equals the golden journal byte for
// byte (from_plan stamps nothing, so no clock is involved).
func TestFromPlanMatchesGolden(t *testing.T) {
	for _, pair := range [][2]string{
		{"backup/extra/initial.backup-plan.json", "backup/extra/initial.backup-execution-journal.json"},
		{"backup/extra/dry-run.backup-plan.json", "backup/extra/dry-run.backup-execution-journal.json"},
	} {
		t.Run(pair[0], func(t *testing.T) {
			j, err := FromPlan(readPlan(t, pair[0]))
			require.NoError(t, err)
			out, err := j.Encode()
			require.NoError(t, err)
			assert.Equal(t, string(golden.Read(t, pair[1])), string(out))
		})
	}
}

func TestResumeSummaryMatchesGolden(t *testing.T) {
	j, err := DecodeExecutionJournal(golden.Read(t, "backup/backup-execution-journal.json"))
	require.NoError(t, err)
	out, err := wire.MarshalPretty(j.ResumeSummary())
	require.NoError(t, err)
	assert.Equal(t, string(bytes.TrimRight(golden.Read(t, "backup/extra/backup-execution-resume-summary.json"), "\n")), string(out))
	assert.True(t, j.Complete())
}

func TestDryRunStatusExecutionMatchesGolden(t *testing.T) {
	j, err := DecodeExecutionJournal(golden.Read(t, "backup/extra/dry-run.backup-execution-journal.json"))
	require.NoError(t, err)
	var status struct {
		Execution json.RawMessage `json:"execution"`
	}
	require.NoError(t, json.Unmarshal(golden.Read(t, "backup/extra/dry-run.backup-status.json"), &status))
	want, err := json.Marshal(json.RawMessage(status.Execution))
	require.NoError(t, err)
	got, err := json.Marshal(j.ResumeSummary())
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
}

func TestResumeReportMatchesGolden(t *testing.T) {
	j, err := DecodeDownloadJournal(golden.Read(t, "backup/download-journal.json"))
	require.NoError(t, err)
	out, err := wire.MarshalPretty(j.ResumeReport())
	require.NoError(t, err)
	assert.Equal(t, string(bytes.TrimRight(golden.Read(t, "backup/extra/download-journal.resume-report.json"), "\n")), string(out))
}

// Replaying the failed run: the golden failed journal resumes to the golden
// resumed journal's operation-8 receipts (failed, then completed).
func TestFailedRunResumesWithoutHandEditing(t *testing.T) {
	j, err := DecodeExecutionJournal(golden.Read(t, "backup/extra/failed-run.backup-execution-journal.json"))
	require.NoError(t, err)
	assert.True(t, j.RestartRequired)
	require.Equal(t, uint64(8), j.NextReadyOperation().Sequence)
	require.Equal(t, StateFailed, j.Operation(8).State)
	receipts := len(j.OperationReceipts)

	got, err := j.RetryFailed(str("unix:1778594400"))
	require.NoError(t, err)
	assert.Equal(t, []uint64{8}, got)
	assert.Equal(t, StateReady, j.Operation(8).State)
	assert.Len(t, j.OperationReceipts, receipts, "the failure was already logged; nothing appended")

	require.NoError(t, j.MarkNextOperationPendingAt(str("unix:1778594400")))
	r := CompletedReceipt(j, j.Operation(8), str("unix:1778594400"))
	r.SnapshotID = str("0000000000000001ffffffffffc000020101")
	require.NoError(t, j.RecordOperationReceipt(r))

	want, err := DecodeExecutionJournal(golden.Read(t, "backup/extra/failed-run.resumed.backup-execution-journal.json"))
	require.NoError(t, err)
	assert.Equal(t, want.ReceiptsFor(8), j.ReceiptsFor(8))
	assert.Equal(t, want.Operation(8), j.Operation(8))
}

// Partial download journal: the resume report names the remaining steps.
func TestPartialDownloadJournalResumeActions(t *testing.T) {
	j, err := DecodeDownloadJournal(golden.Read(t, "backup/extra/partial.download-journal.json"))
	require.NoError(t, err)
	r := j.ResumeReport()
	assert.False(t, r.IsComplete)
	assert.Equal(t, r.TotalArtifacts, r.PendingArtifacts+r.Counts.Skip)
	assert.Equal(t, r.Counts.Created+r.Counts.Downloaded+r.Counts.ChecksumVerified+r.Counts.Durable, r.TotalArtifacts)
}
