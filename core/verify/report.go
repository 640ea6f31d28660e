package verify

// Report is what `backup verify` prints (0.35.1's BackupIntegrityReport).
type Report struct {
	// BackupID is the manifest's backup id.
	BackupID string `json:"backup_id"`
	// Verified is always true in a returned report.
	Verified bool `json:"verified"`
	// ManifestMembers is the number of manifest members.
	ManifestMembers int `json:"manifest_members"`
	// JournalArtifacts is the number of download-journal entries.
	JournalArtifacts int `json:"journal_artifacts"`
	// DurableArtifacts is the number of artifacts verified.
	DurableArtifacts int `json:"durable_artifacts"`
	// Artifacts lists each verified artifact in manifest order.
	Artifacts []ArtifactReport `json:"artifacts"`
}

// ArtifactReport is one verified artifact.
type ArtifactReport struct {
	// CanisterID is the member's canister.
	CanisterID string `json:"canister_id"`
	// SnapshotID is the member's snapshot.
	SnapshotID string `json:"snapshot_id"`
	// ArtifactPath is the resolved path: the backup root as given joined
	// with the recorded artifact path.
	ArtifactPath string `json:"artifact_path"`
	// Checksum is the verified checksum.
	Checksum string `json:"checksum"`
}

// ExecutionReport is 0.35.1's BackupExecutionIntegrityReport.
type ExecutionReport struct {
	// PlanID is the plan's id.
	PlanID string `json:"plan_id"`
	// RunID is the plan's run id.
	RunID string `json:"run_id"`
	// Verified is always true in a returned report.
	Verified bool `json:"verified"`
	// PlanOperations is the number of plan phases.
	PlanOperations int `json:"plan_operations"`
	// JournalOperations is the number of journal operations.
	JournalOperations int `json:"journal_operations"`
}
