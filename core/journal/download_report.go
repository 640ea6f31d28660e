package journal

// JournalResumeReport is what `backup status` prints for a download
// journal: per-state and per-action counts and each artifact's next step.
type JournalResumeReport struct {
	// BackupID is the journal's backup id.
	BackupID string `json:"backup_id"`
	// DiscoveryTopologyHash is copied from the journal.
	DiscoveryTopologyHash *string `json:"discovery_topology_hash"`
	// PreSnapshotTopologyHash is copied from the journal.
	PreSnapshotTopologyHash *string `json:"pre_snapshot_topology_hash"`
	// TotalArtifacts is the number of entries.
	TotalArtifacts uint64 `json:"total_artifacts"`
	// IsComplete is true when every artifact's action is Skip.
	IsComplete bool `json:"is_complete"`
	// PendingArtifacts is TotalArtifacts minus those to skip.
	PendingArtifacts uint64 `json:"pending_artifacts"`
	// Counts counts states and resume actions.
	Counts JournalStateCounts `json:"counts"`
	// OperationMetrics is a copy of the journal's metrics.
	OperationMetrics DownloadOperationMetrics `json:"operation_metrics"`
	// Artifacts lists each entry with its resume action, in journal order.
	Artifacts []ArtifactResumeReport `json:"artifacts"`
}

// JournalStateCounts counts artifacts per state and per resume action.
type JournalStateCounts struct {
	Created          uint64 `json:"created"`           // artifacts in Created
	Downloaded       uint64 `json:"downloaded"`        // artifacts in Downloaded
	ChecksumVerified uint64 `json:"checksum_verified"` // artifacts in ChecksumVerified
	Durable          uint64 `json:"durable"`           // artifacts in Durable
	Download         uint64 `json:"download"`          // artifacts to download
	VerifyChecksum   uint64 `json:"verify_checksum"`   // artifacts to checksum
	Finalize         uint64 `json:"finalize"`          // artifacts to finalize
	Skip             uint64 `json:"skip"`              // artifacts already done
}

// ArtifactResumeReport is one artifact line of a JournalResumeReport.
type ArtifactResumeReport struct {
	CanisterID   string        `json:"canister_id"`   // canister principal
	SnapshotID   string        `json:"snapshot_id"`   // snapshot id
	State        ArtifactState `json:"state"`         // current state
	ResumeAction ResumeAction  `json:"resume_action"` // next step
	ArtifactPath string        `json:"artifact_path"` // final relative path
	TempPath     *string       `json:"temp_path"`     // download location, if any
	UpdatedAt    string        `json:"updated_at"`    // last change
}

// ResumeReport summarises the journal for resumption.
func (j *DownloadJournal) ResumeReport() JournalResumeReport {
	r := JournalResumeReport{
		BackupID:                j.BackupID,
		DiscoveryTopologyHash:   cloneString(j.DiscoveryTopologyHash),
		PreSnapshotTopologyHash: cloneString(j.PreSnapshotTopologyHash),
		TotalArtifacts:          uint64(len(j.Artifacts)),
		OperationMetrics:        j.OperationMetrics,
		Artifacts:               make([]ArtifactResumeReport, 0, len(j.Artifacts)),
	}
	for _, a := range j.Artifacts {
		r.Counts.record(a.State, a.ResumeAction())
		r.Artifacts = append(r.Artifacts, ArtifactResumeReport{
			CanisterID:   a.CanisterID,
			SnapshotID:   a.SnapshotID,
			State:        a.State,
			ResumeAction: a.ResumeAction(),
			ArtifactPath: a.ArtifactPath,
			TempPath:     cloneString(a.TempPath),
			UpdatedAt:    a.UpdatedAt,
		})
	}
	r.IsComplete = r.Counts.Skip == r.TotalArtifacts
	r.PendingArtifacts = r.TotalArtifacts - r.Counts.Skip
	return r
}

func (c *JournalStateCounts) record(s ArtifactState, a ResumeAction) {
	switch s {
	case ArtifactCreated:
		c.Created++
	case ArtifactDownloaded:
		c.Downloaded++
	case ArtifactChecksumVerified:
		c.ChecksumVerified++
	case ArtifactDurable:
		c.Durable++
	}
	switch a {
	case ResumeDownload:
		c.Download++
	case ResumeVerifyChecksum:
		c.VerifyChecksum++
	case ResumeFinalize:
		c.Finalize++
	case ResumeSkip:
		c.Skip++
	}
}
