package restore

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/wire"
)

func goldenJournal(t *testing.T, name string) *Journal {
	t.Helper()
	j, err := DecodeJournal(restoreGolden(t, name))
	require.NoError(t, err)
	return j
}

func TestJournalTransitions(t *testing.T) {
	j := goldenJournal(t, "apply-journal-initial.json")
	err := j.MarkPending(1, "unix:1")
	assert.Equal(t, "restore apply journal operation 1 cannot advance before operation 0", err.Error())
	assert.ErrorIs(t, err, CodeOutOfOrder)
	assert.Equal(t, 15, j.ReadyOperations, "counts unchanged")

	_, err = j.UnclaimPending("unix:1")
	assert.ErrorIs(t, err, CodeNoPendingOperation)

	require.NoError(t, j.MarkPending(0, "unix:2"))
	r := j.Report()
	assert.Equal(t, 1, r.PendingOperations)
	assert.True(t, r.PendingSummary.PendingUpdatedAtKnown)
	assert.Equal(t, "unix:2", *r.PendingSummary.PendingUpdatedAt)
	assert.Equal(t, ReportPending, r.Outcome)

	before, err := j.UnclaimPending("unix:3")
	require.NoError(t, err)
	assert.Equal(t, StatePending, before.State)
	assert.Equal(t, StateReady, j.Operations[0].State)

	require.NoError(t, j.MarkCompleted(0, "unix:4"))
	r = j.Report()
	assert.Equal(t, 666, r.Progress.CompletionBasisPoints)
	assert.Equal(t, 1, r.NextTransition.Sequence)

	err = j.MarkFailed(1, " ", "unix:5")
	assert.ErrorIs(t, err, CodeFailureReasonRequired)
	require.NoError(t, j.MarkFailed(1, "icp-load-failed", "unix:5"))
	assert.Equal(t, ReportFailed, j.Report().Outcome)
	err = j.MarkCompleted(1, "unix:6")
	assert.Equal(t, "restore apply journal operation 1 cannot transition from Failed to Completed", err.Error())
	_, err = j.RetryFailed("unix:7")
	require.NoError(t, err)
	assert.Equal(t, 14, j.ReadyOperations)

	b := goldenJournal(t, "apply-journal-blocked.json")
	err = b.MarkCompleted(0, "unix:1")
	assert.ErrorIs(t, err, CodeInvalidTransition)
	prev := b.NextCommand(IcpPreview{})
	assert.False(t, prev.OperationAvailable)
}

func TestJournalValidationErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(j *Journal)
		want string
	}{
		"version":     {func(j *Journal) { j.JournalVersion = 2 }, "unsupported restore apply journal version 2"},
		"backup id":   {func(j *Journal) { j.BackupID = " " }, "restore apply journal field backup_id is required"},
		"count":       {func(j *Journal) { j.OperationCount = 3 }, "restore apply journal count operation_count mismatch: reported=3, actual=15"},
		"kind count":  {func(j *Journal) { j.OperationCounts.SnapshotUploads = 0 }, "restore apply journal count operation_counts.snapshot_uploads mismatch: reported=0, actual=3"},
		"blocked":     {func(j *Journal) { j.BlockedOperations = 1 }, "restore apply journal count blocked_operations mismatch: reported=1, actual=0"},
		"duplicate":   {func(j *Journal) { j.Operations[1].Sequence = 0 }, "restore apply journal has duplicate operation sequence 0"},
		"kind":        {func(j *Journal) { k := "query"; j.Operations[12].VerificationKind = &k }, "restore apply journal operation 12 uses unsupported verification kind query"},
		"missing":     {func(j *Journal) { j.Operations[0].ArtifactPath = nil }, "restore apply journal operation 0 UploadSnapshot is missing field operations[].artifact_path"},
		"empty at":    {func(j *Journal) { s := ""; j.Operations[0].StateUpdatedAt = &s }, "restore apply journal field operations[].state_updated_at is required"},
		"failed":      {func(j *Journal) { j.Operations[0].State = StateFailed; j.recount() }, "failed restore apply journal operation 0 requires a reason"},
		"ready+block": {func(j *Journal) { j.BlockedReasons = []string{"x"} }, "ready restore apply journal cannot include blocked reasons or blocked operations"},
	} {
		t.Run(name, func(t *testing.T) {
			j := goldenJournal(t, "apply-journal-initial.json")
			tc.edit(j)
			err := j.Validate()
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

func TestJournalDecodeIsStrict(t *testing.T) {
	data := restoreGolden(t, "apply-journal-initial.json")
	var j Journal
	bad := []byte(string(data[:len(data)-1]) + `, "journal_version": 1}`)
	assert.Error(t, wire.Unmarshal(bad, &j), "duplicate key")
	assert.Error(t, wire.Unmarshal([]byte(`{"journal_version":1}`), &j), "missing fields")
}

func TestPlanOrderingAndIdentity(t *testing.T) {
	m := readGoldenManifest(t)
	// In place: no mapping; the app (listed first) still follows the root.
	p, err := BuildPlan(m, nil)
	require.NoError(t, err)
	assert.Equal(t, "root", p.Members[0].Role)
	assert.False(t, p.IdentitySummary.MappingSupplied)
	assert.Equal(t, 3, p.IdentitySummary.InPlaceMembers)
	assert.Equal(t, 2, p.OrderingSummary.ParentEdges)

	// A parent cycle is refused.
	a, b := m.Fleet.Members[0].CanisterID, m.Fleet.Members[1].CanisterID
	m.Fleet.Members[0].ParentCanisterID = &b
	m.Fleet.Members[1].ParentCanisterID = &a
	_, err = orderMembers([]PlanMember{
		{SourceCanister: a, ParentSourceCanister: &b}, {SourceCanister: b, ParentSourceCanister: &a},
	})
	assert.ErrorIs(t, err, CodeOrderCycle)

	// An empty mapping names the first missing member.
	_, err = BuildPlan(readGoldenManifest(t), &Mapping{Members: []MappingEntry{}})
	assert.ErrorIs(t, err, CodeMissingMappingSource)
}

func TestDryRunWithoutBackupDirBlocksJournal(t *testing.T) {
	p, err := BuildPlan(readGoldenManifest(t), readGoldenMapping(t, "mapping.json"))
	require.NoError(t, err)
	d, err := BuildDryRun(context.Background(), p, "")
	require.NoError(t, err)
	j := NewJournal(d)
	assert.False(t, j.Ready)
	assert.Equal(t, []string{ReasonMissingArtifactValidation}, j.BlockedReasons)
	assert.Equal(t, 15, j.BlockedOperations)
	assert.NoError(t, j.Validate())
}
