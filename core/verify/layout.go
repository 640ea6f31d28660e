package verify

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/manifest"
)

// Layout verifies the backup directory root as `backup verify` does
// (reference §5.3): it reads and validates the manifest and the download
// journal, checks that they agree, and recomputes every artifact's checksum.
// It changes nothing. The first problem is returned as a *VerificationError
// naming the file at fault.
func Layout(ctx context.Context, root string) (*Report, error) {
	m, err := ReadManifest(root)
	if err != nil {
		return nil, err
	}
	j, err := ReadDownloadJournal(root)
	if err != nil {
		return nil, err
	}
	return Artifacts(ctx, root, m, j)
}

// Artifacts runs the cross-document and artifact checks of Layout on
// already-validated documents.
func Artifacts(ctx context.Context, root string, m *manifest.FleetBackupManifest, j *journal.DownloadJournal) (*Report, error) {
	manifestPath := filepath.Join(root, ManifestFile)
	journalPath := filepath.Join(root, DownloadJournalFile)
	if m.BackupID != j.BackupID {
		return nil, fail(CodeBackupIDMismatch, manifestPath, nil,
			"manifest backup id %s does not match journal backup id %s", m.BackupID, j.BackupID)
	}
	for _, r := range []struct {
		field    string
		manifest string
		journal  *string
	}{
		{"discovery_topology_hash", m.Fleet.DiscoveryTopologyHash, j.DiscoveryTopologyHash},
		{"pre_snapshot_topology_hash", m.Fleet.PreSnapshotTopologyHash, j.PreSnapshotTopologyHash},
	} {
		if r.journal == nil || *r.journal != r.manifest {
			return nil, fail(CodeManifestJournalTopologyMismatch, manifestPath, nil,
				"manifest topology receipt %s does not match journal topology receipt", r.field)
		}
	}

	type key struct{ canister, snapshot string }
	declared := make(map[key]bool, len(m.Fleet.Members))
	for _, mem := range m.Fleet.Members {
		declared[key{mem.CanisterID, mem.SourceSnapshot.SnapshotID}] = true
	}
	for _, e := range j.Artifacts {
		if !declared[key{e.CanisterID, e.SnapshotID}] {
			return nil, fail(CodeUnexpectedJournalArtifact, journalPath, nil,
				"journal artifact %s snapshot %s is not declared in manifest", e.CanisterID, e.SnapshotID)
		}
	}

	report := &Report{
		BackupID:         m.BackupID,
		Verified:         true,
		ManifestMembers:  len(m.Fleet.Members),
		JournalArtifacts: len(j.Artifacts),
		Artifacts:        make([]ArtifactReport, 0, len(m.Fleet.Members)),
	}
	for i := range m.Fleet.Members {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a, err := verifyMember(ctx, root, manifestPath, journalPath, &m.Fleet.Members[i], j)
		if err != nil {
			return nil, err
		}
		report.Artifacts = append(report.Artifacts, *a)
	}
	report.DurableArtifacts = len(report.Artifacts)
	return report, nil
}

func verifyMember(ctx context.Context, root, manifestPath, journalPath string, mem *manifest.FleetMember, j *journal.DownloadJournal) (*ArtifactReport, error) {
	snap := mem.SourceSnapshot.SnapshotID
	var entry *journal.ArtifactJournalEntry
	for i := range j.Artifacts {
		if j.Artifacts[i].CanisterID == mem.CanisterID && j.Artifacts[i].SnapshotID == snap {
			entry = &j.Artifacts[i]
			break
		}
	}
	if entry == nil {
		return nil, fail(CodeMissingJournalArtifact, journalPath, nil,
			"manifest member %s snapshot %s has no journal artifact", mem.CanisterID, snap)
	}
	if entry.State != journal.ArtifactState("Durable") {
		return nil, fail(CodeNonDurableArtifact, journalPath, nil,
			"journal artifact %s snapshot %s is not durable", entry.CanisterID, entry.SnapshotID)
	}
	if entry.Checksum == nil {
		return nil, fail(CodeMissingJournalArtifactChecksum, journalPath, nil,
			"journal artifact %s snapshot %s has no checksum", entry.CanisterID, entry.SnapshotID)
	}
	expected := *entry.Checksum
	if mem.SourceSnapshot.ArtifactPath != entry.ArtifactPath {
		return nil, fail(CodeManifestJournalArtifactPathMismatch, manifestPath, nil,
			"manifest artifact path for %s snapshot %s does not match journal artifact path", entry.CanisterID, entry.SnapshotID)
	}
	if c := mem.SourceSnapshot.Checksum; c != nil && *c != expected {
		return nil, fail(CodeManifestJournalChecksumMismatch, manifestPath, nil,
			"manifest checksum for %s snapshot %s does not match journal checksum", entry.CanisterID, entry.SnapshotID)
	}
	path, err := resolveArtifact(root, entry.ArtifactPath)
	if err != nil {
		return nil, err
	}
	sum, err := checksum.FromPath(ctx, path)
	if err != nil {
		var ee *checksum.EntryError
		if errors.As(err, &ee) {
			return nil, fail(CodeUnsupportedArtifactEntry, ee.Path, err, "%s", ee.Error())
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fail(CodeUnreadable, path, err, "%v", err)
	}
	if err := sum.Verify(expected); err != nil {
		return nil, wrap(CodeChecksum, path, err)
	}
	return &ArtifactReport{CanisterID: entry.CanisterID, SnapshotID: entry.SnapshotID, ArtifactPath: path, Checksum: expected}, nil
}
