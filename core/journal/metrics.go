package journal

// DownloadOperationMetrics counts the steps of a backup's artifacts. Each
// *Started counter is incremented immediately before a step and each
// *Completed counter right after it succeeds, so Started − Completed is the
// number of attempts that did not finish (crashed or failed).
//
// 0.35.1's runner only maintained TargetCount; this port maintains every
// counter on every transition (docs/compat.md, "Download journal metrics").
type DownloadOperationMetrics struct {
	// TargetCount is the number of distinct canisters with an artifact entry.
	TargetCount uint64 `json:"target_count"`
	// SnapshotCreateStarted counts snapshot-create attempts.
	SnapshotCreateStarted uint64 `json:"snapshot_create_started"`
	// SnapshotCreateCompleted counts snapshots created.
	SnapshotCreateCompleted uint64 `json:"snapshot_create_completed"`
	// SnapshotDownloadStarted counts download attempts.
	SnapshotDownloadStarted uint64 `json:"snapshot_download_started"`
	// SnapshotDownloadCompleted counts downloads finished.
	SnapshotDownloadCompleted uint64 `json:"snapshot_download_completed"`
	// ChecksumVerifyStarted counts checksum attempts.
	ChecksumVerifyStarted uint64 `json:"checksum_verify_started"`
	// ChecksumVerifyCompleted counts checksums computed.
	ChecksumVerifyCompleted uint64 `json:"checksum_verify_completed"`
	// ArtifactFinalizeStarted counts finalize attempts.
	ArtifactFinalizeStarted uint64 `json:"artifact_finalize_started"`
	// ArtifactFinalizeCompleted counts artifacts made durable.
	ArtifactFinalizeCompleted uint64 `json:"artifact_finalize_completed"`
}

// Step names one counted step of an artifact's life.
type Step int

// The four counted steps, in order.
const (
	StepSnapshotCreate Step = iota + 1
	StepSnapshotDownload
	StepChecksumVerify
	StepArtifactFinalize
)

// String names the step as the metrics do.
func (s Step) String() string {
	switch s {
	case StepSnapshotCreate:
		return "snapshot_create"
	case StepSnapshotDownload:
		return "snapshot_download"
	case StepChecksumVerify:
		return "checksum_verify"
	case StepArtifactFinalize:
		return "artifact_finalize"
	}
	return "unknown"
}

func (m *DownloadOperationMetrics) counters(s Step) (started, completed *uint64) {
	switch s {
	case StepSnapshotCreate:
		return &m.SnapshotCreateStarted, &m.SnapshotCreateCompleted
	case StepSnapshotDownload:
		return &m.SnapshotDownloadStarted, &m.SnapshotDownloadCompleted
	case StepChecksumVerify:
		return &m.ChecksumVerifyStarted, &m.ChecksumVerifyCompleted
	case StepArtifactFinalize:
		return &m.ArtifactFinalizeStarted, &m.ArtifactFinalizeCompleted
	}
	return nil, nil
}

// InFlight returns how many attempts of step s were started but not completed.
func (m DownloadOperationMetrics) InFlight(s Step) uint64 {
	started, completed := m.counters(s)
	if started == nil || *started < *completed {
		return 0
	}
	return *started - *completed
}
