package journal

// ArtifactKey identifies one artifact entry.
type ArtifactKey struct {
	// CanisterID is the canister whose snapshot the artifact holds.
	CanisterID string
	// SnapshotID is the snapshot the artifact was downloaded from.
	SnapshotID string
}

// Key returns the entry's identity.
func (e *ArtifactJournalEntry) Key() ArtifactKey {
	return ArtifactKey{CanisterID: e.CanisterID, SnapshotID: e.SnapshotID}
}

// Artifact returns the entry for key, or nil.
func (j *DownloadJournal) Artifact(key ArtifactKey) *ArtifactJournalEntry {
	for i := range j.Artifacts {
		if j.Artifacts[i].Key() == key {
			return &j.Artifacts[i]
		}
	}
	return nil
}

// ArtifactForCanister returns the first entry of canisterID in journal order,
// or nil (the lookup 0.35.1's runner uses).
func (j *DownloadJournal) ArtifactForCanister(canisterID string) *ArtifactJournalEntry {
	for i := range j.Artifacts {
		if j.Artifacts[i].CanisterID == canisterID {
			return &j.Artifacts[i]
		}
	}
	return nil
}

// SetTopologyHashes overwrites both topology hashes with hash, as the
// runner does whenever a snapshot is created.
func (j *DownloadJournal) SetTopologyHashes(hash *string) {
	j.DiscoveryTopologyHash = cloneString(hash)
	j.PreSnapshotTopologyHash = cloneString(hash)
}

// SetTargetCount records how many canisters the backup covers (the
// snapshot path knows it before the first snapshot).
func (j *DownloadJournal) SetTargetCount(n uint64) { j.OperationMetrics.TargetCount = n }

// BeginStep increments the started counter of step s. Persist the journal
// after calling it and before running the step, so a crash inside the step
// shows up as started > completed.
func (j *DownloadJournal) BeginStep(s Step) {
	if started, _ := j.OperationMetrics.counters(s); started != nil {
		*started++
	}
}

func (j *DownloadJournal) completeStep(s Step) {
	if _, completed := j.OperationMetrics.counters(s); completed != nil {
		*completed++
	}
}

// RecordSnapshotCreated records a new snapshot of canisterID: a Created
// entry with no temp path or checksum. An existing entry of the same
// canister is replaced wholesale (a retried create-snapshot); otherwise the
// entry is appended. snapshot_create_completed is incremented and
// target_count raised to the number of distinct canisters if lower.
func (j *DownloadJournal) RecordSnapshotCreated(key ArtifactKey, artifactPath, updatedAt string) error {
	entry := ArtifactJournalEntry{
		CanisterID:        key.CanisterID,
		SnapshotID:        key.SnapshotID,
		State:             ArtifactCreated,
		ArtifactPath:      artifactPath,
		ChecksumAlgorithm: SHA256Algorithm,
		UpdatedAt:         updatedAt,
	}
	return j.mutate(func(j *DownloadJournal) error {
		if existing := j.ArtifactForCanister(key.CanisterID); existing != nil {
			*existing = entry
		} else {
			j.Artifacts = append(j.Artifacts, entry)
		}
		j.completeStep(StepSnapshotCreate)
		if n := j.distinctCanisters(); j.OperationMetrics.TargetCount < n {
			j.OperationMetrics.TargetCount = n
		}
		return nil
	})
}

// RecordDownloaded moves the artifact to Downloaded with its temp path and
// increments snapshot_download_completed.
func (j *DownloadJournal) RecordDownloaded(key ArtifactKey, tempPath, updatedAt string) error {
	return j.mutateArtifact(key, func(next *DownloadJournal, e *ArtifactJournalEntry) error {
		if err := e.AdvanceTo(ArtifactDownloaded, updatedAt); err != nil {
			return err
		}
		e.TempPath = &tempPath
		next.completeStep(StepSnapshotDownload)
		return nil
	})
}

// RecordChecksumVerified stores the artifact's checksum, moves it to
// ChecksumVerified and increments checksum_verify_completed.
func (j *DownloadJournal) RecordChecksumVerified(key ArtifactKey, checksum, updatedAt string) error {
	return j.mutateArtifact(key, func(next *DownloadJournal, e *ArtifactJournalEntry) error {
		if err := e.AdvanceTo(ArtifactChecksumVerified, updatedAt); err != nil {
			return err
		}
		e.Checksum = &checksum
		next.completeStep(StepChecksumVerify)
		return nil
	})
}

// RecordDurable marks the artifact finalized: temp path cleared, state
// Durable, artifact_finalize_completed incremented. An artifact whose
// checksum was never recorded cannot become Durable (0.35.1 renamed such an
// artifact before noticing; see docs/compat.md).
func (j *DownloadJournal) RecordDurable(key ArtifactKey, updatedAt string) error {
	return j.mutateArtifact(key, func(next *DownloadJournal, e *ArtifactJournalEntry) error {
		if err := e.AdvanceTo(ArtifactDurable, updatedAt); err != nil {
			return err
		}
		e.TempPath = nil
		next.completeStep(StepArtifactFinalize)
		return nil
	})
}

// mutate applies f to a copy of the journal, validates the copy and only
// then commits it, so a failed transition leaves j untouched.
func (j *DownloadJournal) mutate(f func(*DownloadJournal) error) error {
	next := j.Clone()
	if err := f(next); err != nil {
		return err
	}
	if err := next.Validate(); err != nil {
		return err
	}
	*j = *next
	return nil
}

func (j *DownloadJournal) mutateArtifact(key ArtifactKey, f func(*DownloadJournal, *ArtifactJournalEntry) error) error {
	return j.mutate(func(j *DownloadJournal) error {
		e := j.Artifact(key)
		if e == nil {
			return &DownloadJournalError{Code: ErrArtifactNotFound, CanisterID: key.CanisterID, SnapshotID: key.SnapshotID}
		}
		return f(j, e)
	})
}

func (j *DownloadJournal) distinctCanisters() uint64 {
	seen := make(map[string]struct{}, len(j.Artifacts))
	for _, a := range j.Artifacts {
		seen[a.CanisterID] = struct{}{}
	}
	return uint64(len(seen))
}

// CheckFinalizable reports whether the artifact could become Durable now
// (it exists and has a verified checksum), without changing anything. Call
// it before moving the artifact into place, so an unverified artifact is
// never renamed (0.35.1 quirk 17).
func (j *DownloadJournal) CheckFinalizable(key ArtifactKey, updatedAt string) error {
	return j.Clone().RecordDurable(key, updatedAt)
}
