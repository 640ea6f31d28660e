package journal

import (
	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/principal"
)

// Validate checks the journal in 0.35.1's order and returns the first
// failure as a *DownloadJournalError.
func (j *DownloadJournal) Validate() error {
	if j.JournalVersion != DownloadJournalVersion {
		return &DownloadJournalError{Code: ErrUnsupportedJournalVersion, Version: j.JournalVersion}
	}
	if isBlank(j.BackupID) {
		return emptyField("backup_id")
	}
	if err := validateOptionalHash("discovery_topology_hash", j.DiscoveryTopologyHash); err != nil {
		return err
	}
	if err := validateOptionalHash("pre_snapshot_topology_hash", j.PreSnapshotTopologyHash); err != nil {
		return err
	}
	if len(j.Artifacts) == 0 {
		return &DownloadJournalError{Code: ErrEmptyCollection, Field: "artifacts"}
	}
	type key struct{ canister, snapshot string }
	seen := make(map[key]struct{}, len(j.Artifacts))
	for i := range j.Artifacts {
		a := &j.Artifacts[i]
		if err := a.Validate(); err != nil {
			return err
		}
		k := key{a.CanisterID, a.SnapshotID}
		if _, dup := seen[k]; dup {
			return &DownloadJournalError{Code: ErrDuplicateArtifact, CanisterID: a.CanisterID, SnapshotID: a.SnapshotID}
		}
		seen[k] = struct{}{}
	}
	return nil
}

// Validate checks one artifact entry: identity fields, the checksum
// algorithm, and the fields its state requires.
func (e *ArtifactJournalEntry) Validate() error {
	if isBlank(e.CanisterID) {
		return emptyField("artifacts[].canister_id")
	}
	if !principal.Valid(e.CanisterID) {
		return &DownloadJournalError{Code: ErrInvalidPrincipal, Field: "artifacts[].canister_id", Value: e.CanisterID}
	}
	for _, f := range []struct{ name, value string }{
		{"artifacts[].snapshot_id", e.SnapshotID},
		{"artifacts[].artifact_path", e.ArtifactPath},
		{"artifacts[].checksum_algorithm", e.ChecksumAlgorithm},
		{"artifacts[].updated_at", e.UpdatedAt},
	} {
		if isBlank(f.value) {
			return emptyField(f.name)
		}
	}
	if e.ChecksumAlgorithm != SHA256Algorithm {
		return &DownloadJournalError{Code: ErrUnsupportedHashAlgorithm, Value: e.ChecksumAlgorithm}
	}
	if e.State == ArtifactDownloaded || e.State == ArtifactChecksumVerified {
		if e.TempPath == nil || isBlank(*e.TempPath) {
			return emptyField("artifacts[].temp_path")
		}
	}
	if e.State == ArtifactChecksumVerified || e.State == ArtifactDurable {
		if e.Checksum == nil {
			return emptyField("artifacts[].checksum")
		}
		if err := validateHash("artifacts[].checksum", *e.Checksum); err != nil {
			return err
		}
	}
	return nil
}

func emptyField(field string) error {
	return &DownloadJournalError{Code: ErrEmptyField, Field: field}
}

func validateOptionalHash(field string, v *string) error {
	if v == nil {
		return nil
	}
	return validateHash(field, *v)
}

// validateHash is 0.35.1's validate_hash: blank → EmptyField, otherwise
// anything but 64 hex digits → InvalidHash.
func validateHash(field, v string) error {
	if isBlank(v) {
		return emptyField(field)
	}
	if !checksum.IsHex64(v) {
		return &DownloadJournalError{Code: ErrInvalidHash, Field: field}
	}
	return nil
}
