package journal

// DownloadJournalVersion is the only download-journal version 0.35.1 reads
// and writes.
const DownloadJournalVersion uint16 = 1

// SHA256Algorithm is the only checksum algorithm name accepted anywhere.
const SHA256Algorithm = "sha256"

// DownloadJournal is download-journal.json: the resumable state of every
// snapshot artifact of one backup.
type DownloadJournal struct {
	// JournalVersion must be DownloadJournalVersion.
	JournalVersion uint16 `json:"journal_version"`
	// BackupID names the backup (the run id for executable backups).
	BackupID string `json:"backup_id"`
	// DiscoveryTopologyHash is the topology hash at discovery (hex64).
	DiscoveryTopologyHash *string `json:"discovery_topology_hash" wire:"default"`
	// PreSnapshotTopologyHash is the topology hash just before snapshots (hex64).
	PreSnapshotTopologyHash *string `json:"pre_snapshot_topology_hash" wire:"default"`
	// OperationMetrics counts the steps started and completed.
	OperationMetrics DownloadOperationMetrics `json:"operation_metrics" wire:"default"`
	// Artifacts holds one entry per (canister, snapshot).
	Artifacts []ArtifactJournalEntry `json:"artifacts"`
}

// ArtifactJournalEntry is the state of one snapshot artifact.
type ArtifactJournalEntry struct {
	// CanisterID is the canister whose snapshot this is (principal).
	CanisterID string `json:"canister_id"`
	// SnapshotID is the snapshot id reported by the IC.
	SnapshotID string `json:"snapshot_id"`
	// State is the artifact's progress.
	State ArtifactState `json:"state"`
	// TempPath is where the download was written before finalization;
	// required in Downloaded and ChecksumVerified.
	TempPath *string `json:"temp_path"`
	// ArtifactPath is the final location, relative to the backup root.
	ArtifactPath string `json:"artifact_path"`
	// ChecksumAlgorithm must be "sha256".
	ChecksumAlgorithm string `json:"checksum_algorithm"`
	// Checksum is the artifact's hex64 SHA-256; required from ChecksumVerified on.
	Checksum *string `json:"checksum"`
	// UpdatedAt is when the entry last changed (any nonempty text).
	UpdatedAt string `json:"updated_at"`
}

// NewDownloadJournal returns an empty version-1 journal for backupID with
// both topology hashes set to topologyHash (nil for none). It has no
// artifacts yet, so it does not validate until the first is added.
func NewDownloadJournal(backupID string, topologyHash *string) *DownloadJournal {
	return &DownloadJournal{
		JournalVersion:          DownloadJournalVersion,
		BackupID:                backupID,
		DiscoveryTopologyHash:   cloneString(topologyHash),
		PreSnapshotTopologyHash: cloneString(topologyHash),
		Artifacts:               []ArtifactJournalEntry{},
	}
}

// ResumeAction returns the idempotent step that continues this artifact.
func (e *ArtifactJournalEntry) ResumeAction() ResumeAction { return e.State.ResumeAction() }

// AdvanceTo moves the entry to next and stamps updatedAt. Moving backwards
// fails with InvalidStateTransition and leaves the entry unchanged.
func (e *ArtifactJournalEntry) AdvanceTo(next ArtifactState, updatedAt string) error {
	if !e.State.CanAdvanceTo(next) {
		return &DownloadJournalError{Code: ErrInvalidStateTransition, From: e.State, To: next}
	}
	e.State = next
	e.UpdatedAt = updatedAt
	return nil
}

// Clone returns a deep copy of the journal.
func (j *DownloadJournal) Clone() *DownloadJournal {
	c := *j
	c.DiscoveryTopologyHash = cloneString(j.DiscoveryTopologyHash)
	c.PreSnapshotTopologyHash = cloneString(j.PreSnapshotTopologyHash)
	c.Artifacts = make([]ArtifactJournalEntry, len(j.Artifacts))
	for i, a := range j.Artifacts {
		c.Artifacts[i] = a.clone()
	}
	return &c
}

func (e ArtifactJournalEntry) clone() ArtifactJournalEntry {
	e.TempPath = cloneString(e.TempPath)
	e.Checksum = cloneString(e.Checksum)
	return e
}

func cloneString(s *string) *string {
	if s == nil {
		return nil
	}
	v := *s
	return &v
}
