package journal

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validDownloadJournal is 0.35.1's valid_journal fixture.
func validDownloadJournal() *DownloadJournal {
	return &DownloadJournal{
		JournalVersion:          1,
		BackupID:                "fbk_test_001",
		DiscoveryTopologyHash:   str(testHash),
		PreSnapshotTopologyHash: str(testHash),
		Artifacts: []ArtifactJournalEntry{{
			CanisterID:        rootID,
			SnapshotID:        "snap-1",
			State:             ArtifactDurable,
			ArtifactPath:      "artifacts/root",
			ChecksumAlgorithm: "sha256",
			Checksum:          str(testHash),
			UpdatedAt:         "2026-04-10T12:00:00Z",
		}},
	}
}

// §10.3 journal (7): one test per 0.35.1 test, same names.

func TestValidJournalPassesValidation(t *testing.T) {
	require.NoError(t, validDownloadJournal().Validate())
}

func TestResumeActionMatchesArtifactState(t *testing.T) {
	e := validDownloadJournal().Artifacts[0]
	for state, action := range map[ArtifactState]ResumeAction{
		ArtifactCreated:          ResumeDownload,
		ArtifactDownloaded:       ResumeVerifyChecksum,
		ArtifactChecksumVerified: ResumeFinalize,
		ArtifactDurable:          ResumeSkip,
	} {
		e.State = state
		assert.Equal(t, action, e.ResumeAction(), "state %s", state)
	}
}

func TestResumeReportCountsStatesAndActions(t *testing.T) {
	j := validDownloadJournal()
	j.Artifacts[0].State = ArtifactCreated
	j.Artifacts[0].Checksum = nil
	downloaded := j.Artifacts[0].clone()
	downloaded.SnapshotID = "snap-2"
	downloaded.State = ArtifactDownloaded
	downloaded.TempPath = str("artifacts/root.tmp")
	durable := validDownloadJournal().Artifacts[0]
	durable.SnapshotID = "snap-3"
	j.Artifacts = append(j.Artifacts, downloaded, durable)
	require.NoError(t, j.Validate())

	r := j.ResumeReport()
	assert.Equal(t, uint64(3), r.TotalArtifacts)
	assert.Equal(t, str(testHash), r.DiscoveryTopologyHash)
	assert.Equal(t, str(testHash), r.PreSnapshotTopologyHash)
	assert.False(t, r.IsComplete)
	assert.Equal(t, uint64(2), r.PendingArtifacts)
	assert.Equal(t, JournalStateCounts{Created: 1, Downloaded: 1, Durable: 1, Download: 1, VerifyChecksum: 1, Skip: 1}, r.Counts)
	assert.Equal(t, ResumeDownload, r.Artifacts[0].ResumeAction)
	assert.Equal(t, str("artifacts/root.tmp"), r.Artifacts[1].TempPath)
}

func TestStateTransitionsAreMonotonic(t *testing.T) {
	e := validDownloadJournal().Artifacts[0]
	err := e.AdvanceTo(ArtifactDownloaded, "2026-04-10T12:01:00Z")
	require.ErrorIs(t, err, ErrInvalidStateTransition)
	assert.EqualError(t, err, "invalid journal transition from Durable to Downloaded")
	assert.Equal(t, ArtifactDurable, e.State)
	assert.Equal(t, "2026-04-10T12:00:00Z", e.UpdatedAt, "rejected transition does not stamp")
	// Same-state and forward jumps are allowed.
	require.NoError(t, e.AdvanceTo(ArtifactDurable, "t2"))
	c := ArtifactJournalEntry{State: ArtifactCreated}
	require.NoError(t, c.AdvanceTo(ArtifactChecksumVerified, "t3"))
	assert.Equal(t, ArtifactChecksumVerified, c.State)
}

func TestDurableArtifactRequiresChecksum(t *testing.T) {
	j := validDownloadJournal()
	j.Artifacts[0].Checksum = nil
	err := j.Validate()
	require.ErrorIs(t, err, ErrEmptyField)
	assert.EqualError(t, err, "field artifacts[].checksum must not be empty")
}

func TestDuplicateArtifactsFailValidation(t *testing.T) {
	j := validDownloadJournal()
	j.Artifacts = append(j.Artifacts, j.Artifacts[0].clone())
	err := j.Validate()
	require.ErrorIs(t, err, ErrDuplicateArtifact)
	assert.EqualError(t, err, "duplicate artifact entry for canister aaaaa-aa snapshot snap-1")
}

func TestJournalRoundTripsThroughJSON(t *testing.T) {
	j := validDownloadJournal()
	data, err := j.Encode()
	require.NoError(t, err)
	back, err := DecodeDownloadJournal(data)
	require.NoError(t, err)
	assert.Equal(t, j, back)
}

// §10.5 journal_round_trips_through_layout, at the codec level.
func TestJournalRoundTripsThroughLayout(t *testing.T) {
	j := validDownloadJournal()
	data, err := j.Encode()
	require.NoError(t, err)
	again, err := (mustDecodeDownload(t, data)).Encode()
	require.NoError(t, err)
	assert.Equal(t, data, again)
}

func mustDecodeDownload(t *testing.T, data []byte) *DownloadJournal {
	t.Helper()
	j, err := DecodeDownloadJournal(data)
	require.NoError(t, err)
	return j
}

// Validation (§4.6): each rule, in order, with 0.35.1's exact text.
func TestDownloadJournalValidationRules(t *testing.T) {
	cases := []struct {
		name string
		edit func(j *DownloadJournal)
		text string
	}{
		{"version", func(j *DownloadJournal) { j.JournalVersion = 0 }, "unsupported journal version 0"},
		{"backup id", func(j *DownloadJournal) { j.BackupID = " " }, "field backup_id must not be empty"},
		{"discovery hash", func(j *DownloadJournal) { j.DiscoveryTopologyHash = str("abc") }, "field discovery_topology_hash must be a non-empty sha256 hex string"},
		{"blank pre-snapshot hash", func(j *DownloadJournal) { j.PreSnapshotTopologyHash = str("") }, "field pre_snapshot_topology_hash must not be empty"},
		{"no artifacts", func(j *DownloadJournal) { j.Artifacts = []ArtifactJournalEntry{} }, "collection artifacts must not be empty"},
		{"blank canister", func(j *DownloadJournal) { j.Artifacts[0].CanisterID = "" }, "field artifacts[].canister_id must not be empty"},
		{"bad principal", func(j *DownloadJournal) { j.Artifacts[0].CanisterID = "aaaaa-ab" }, "field artifacts[].canister_id must be a valid principal: aaaaa-ab"},
		{"snapshot", func(j *DownloadJournal) { j.Artifacts[0].SnapshotID = "" }, "field artifacts[].snapshot_id must not be empty"},
		{"artifact path", func(j *DownloadJournal) { j.Artifacts[0].ArtifactPath = "" }, "field artifacts[].artifact_path must not be empty"},
		{"algorithm blank", func(j *DownloadJournal) { j.Artifacts[0].ChecksumAlgorithm = "" }, "field artifacts[].checksum_algorithm must not be empty"},
		{"updated_at", func(j *DownloadJournal) { j.Artifacts[0].UpdatedAt = "" }, "field artifacts[].updated_at must not be empty"},
		{"algorithm", func(j *DownloadJournal) { j.Artifacts[0].ChecksumAlgorithm = "SHA256" }, "unsupported hash algorithm SHA256"},
		{"temp path", func(j *DownloadJournal) { j.Artifacts[0].State = ArtifactChecksumVerified }, "field artifacts[].temp_path must not be empty"},
		{"bad checksum", func(j *DownloadJournal) { j.Artifacts[0].Checksum = str(testHash[:63] + "g") }, "field artifacts[].checksum must be a non-empty sha256 hex string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := validDownloadJournal()
			tc.edit(j)
			assert.EqualError(t, j.Validate(), tc.text)
		})
	}
	// Upper-case hex and upper-case principals are accepted, as in 0.35.1.
	j := validDownloadJournal()
	j.Artifacts[0].Checksum = str("ABCDEF" + testHash[6:])
	j.Artifacts[0].CanisterID = "RENRK-EYAAA-AAAAA-AAADA-CAI"
	require.NoError(t, j.Validate())
}

// The full life of one artifact, with every metric counter maintained
// (0.35.1's runner only maintained target_count).
func TestArtifactLifecycleMaintainsEveryMetric(t *testing.T) {
	j := NewDownloadJournal("run-1", str(testHash))
	key := ArtifactKey{CanisterID: appID, SnapshotID: "snap-1"}
	steps := []struct {
		begin  Step
		record func() error
		state  ArtifactState
	}{
		{StepSnapshotCreate, func() error { return j.RecordSnapshotCreated(key, appID, "unix:1") }, ArtifactCreated},
		{StepSnapshotDownload, func() error { return j.RecordDownloaded(key, "root/"+appID+".tmp", "unix:2") }, ArtifactDownloaded},
		{StepChecksumVerify, func() error { return j.RecordChecksumVerified(key, testHash, "unix:3") }, ArtifactChecksumVerified},
		{StepArtifactFinalize, func() error { return j.RecordDurable(key, "unix:4") }, ArtifactDurable},
	}
	for i, s := range steps {
		j.BeginStep(s.begin)
		assert.Equal(t, uint64(1), j.OperationMetrics.InFlight(s.begin), "step %s in flight", s.begin)
		require.NoError(t, s.record())
		assert.Equal(t, uint64(0), j.OperationMetrics.InFlight(s.begin))
		assert.Equal(t, s.state, j.Artifact(key).State, "after step %d", i)
	}
	assert.Nil(t, j.Artifact(key).TempPath)
	assert.Equal(t, str(testHash), j.Artifact(key).Checksum)
	assert.Equal(t, "unix:4", j.Artifact(key).UpdatedAt)
	assert.Equal(t, DownloadOperationMetrics{
		TargetCount: 1, SnapshotCreateStarted: 1, SnapshotCreateCompleted: 1,
		SnapshotDownloadStarted: 1, SnapshotDownloadCompleted: 1,
		ChecksumVerifyStarted: 1, ChecksumVerifyCompleted: 1,
		ArtifactFinalizeStarted: 1, ArtifactFinalizeCompleted: 1,
	}, j.OperationMetrics)
	assert.True(t, j.ResumeReport().IsComplete)
}

func TestRejectedArtifactTransitionsLeaveJournalUnchanged(t *testing.T) {
	j := NewDownloadJournal("run-1", nil)
	key := ArtifactKey{CanisterID: appID, SnapshotID: "snap-1"}
	require.NoError(t, j.RecordSnapshotCreated(key, appID, "unix:1"))
	require.NoError(t, j.RecordDownloaded(key, "tmp", "unix:2"))
	before := j.Clone()

	// Durable without a checksum (0.35.1 quirk 17) is refused.
	err := j.RecordDurable(key, "unix:3")
	assert.EqualError(t, err, "field artifacts[].checksum must not be empty")
	assert.Equal(t, before, j)

	err = j.RecordChecksumVerified(key, "not-hex", "unix:3")
	assert.EqualError(t, err, "field artifacts[].checksum must be a non-empty sha256 hex string")
	assert.Equal(t, before, j)

	err = j.RecordDownloaded(ArtifactKey{CanisterID: appID, SnapshotID: "snap-9"}, "tmp", "unix:3")
	require.ErrorIs(t, err, ErrArtifactNotFound)
	assert.Equal(t, before, j)

	require.NoError(t, j.RecordChecksumVerified(key, testHash, "unix:4"))
	require.NoError(t, j.RecordDurable(key, "unix:5"))
	err = j.RecordDownloaded(key, "tmp", "unix:6")
	assert.EqualError(t, err, "invalid journal transition from Durable to Downloaded")

	err = NewDownloadJournal("run-1", nil).RecordSnapshotCreated(ArtifactKey{CanisterID: "nope", SnapshotID: "s"}, "nope", "unix:1")
	assert.EqualError(t, err, "field artifacts[].canister_id must be a valid principal: nope")
}

// A retried create-snapshot replaces the canister's entry; target_count
// counts distinct canisters, never lowering a count set up front.
func TestRetriedSnapshotReplacesEntryAndCountsTargets(t *testing.T) {
	j := NewDownloadJournal("run-1", nil)
	require.NoError(t, j.RecordSnapshotCreated(ArtifactKey{appID, "snap-1"}, appID, "unix:1"))
	require.NoError(t, j.RecordSnapshotCreated(ArtifactKey{rootID, "snap-2"}, rootID, "unix:1"))
	require.NoError(t, j.RecordSnapshotCreated(ArtifactKey{appID, "snap-3"}, appID, "unix:2"))
	require.Len(t, j.Artifacts, 2)
	assert.Equal(t, "snap-3", j.Artifacts[0].SnapshotID)
	assert.Equal(t, uint64(2), j.OperationMetrics.TargetCount)
	assert.Equal(t, uint64(3), j.OperationMetrics.SnapshotCreateCompleted)

	j.SetTargetCount(5)
	require.NoError(t, j.RecordSnapshotCreated(ArtifactKey{appID, "snap-4"}, appID, "unix:3"))
	assert.Equal(t, uint64(5), j.OperationMetrics.TargetCount)
}

func TestOperationMetricsDefaultWhenMissing(t *testing.T) {
	var raw map[string]any
	data, err := validDownloadJournal().Encode()
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &raw))
	delete(raw, "operation_metrics")
	delete(raw, "discovery_topology_hash")
	stripped, err := json.Marshal(raw)
	require.NoError(t, err)
	j, err := DecodeDownloadJournal(stripped)
	require.NoError(t, err)
	assert.Equal(t, DownloadOperationMetrics{}, j.OperationMetrics)
	assert.Nil(t, j.DiscoveryTopologyHash)
}
