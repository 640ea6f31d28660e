package journal

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/timestamp"
)

func TestStamperUsesInjectedClock(t *testing.T) {
	s := Stamper{Journal: newJournal(t), Clock: timestamp.FixedUnix(1778594400)}
	require.NoError(t, s.AcceptPreflight(receiptsFor(memberPlan())))
	assert.Equal(t, str("unix:1778594400"), s.Journal.Operation(0).StateUpdatedAt)
	require.NoError(t, s.MarkNextPending())
	require.NoError(t, s.Fail(4, "stop failed"))
	assert.Equal(t, str("unix:1778594400"), s.Journal.Operation(4).StateUpdatedAt)
	got, err := s.RetryFailed()
	require.NoError(t, err)
	assert.Equal(t, []uint64{4}, got)
	require.NoError(t, s.MarkNextPending())
	require.NoError(t, s.Complete(4, nil))
	require.NoError(t, s.MarkNextPending())
	require.NoError(t, s.Complete(5, func(r *BackupExecutionOperationReceipt) { r.SnapshotID = str("snap") }))
	assert.Equal(t, plan.OpStart, s.Journal.NextReadyOperation().Kind)
	require.ErrorIs(t, s.Complete(77, nil), ErrOperationNotFound)
	require.ErrorIs(t, s.Fail(77, "x"), ErrOperationNotFound)
}

func TestCheckFinalizableChangesNothing(t *testing.T) {
	j := NewDownloadJournal("run-1", nil)
	key := ArtifactKey{CanisterID: appID, SnapshotID: "snap-1"}
	require.NoError(t, j.RecordSnapshotCreated(key, appID, "unix:1"))
	require.NoError(t, j.RecordDownloaded(key, "tmp", "unix:2"))
	require.ErrorIs(t, j.CheckFinalizable(key, "unix:3"), ErrEmptyField)
	assert.Equal(t, ArtifactDownloaded, j.Artifact(key).State)
	require.NoError(t, j.RecordChecksumVerified(key, testHash, "unix:3"))
	before := j.Clone()
	require.NoError(t, j.CheckFinalizable(key, "unix:4"))
	assert.Equal(t, before, j)
}
