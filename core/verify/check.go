package verify

import (
	"context"
	"errors"
	"strings"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/internal/parallel"
)

// Checksummer computes the checksum of the artifact recorded at rel (the
// manifest's artifact path) wherever it lives. It returns the path to show
// for the artifact in reports and errors. An error that is a
// *VerificationError is passed through unchanged; any other error is
// reported as CodeUnreadable against display (or the context's error when
// ctx ended).
type Checksummer func(ctx context.Context, rel string) (display string, sum checksum.Checksum, err error)

// CheckOptions configure Check.
type CheckOptions struct {
	// ManifestPath and JournalPath name the manifest and download journal
	// in errors about them.
	ManifestPath, JournalPath string
	// Checksum computes an artifact's checksum (required).
	Checksum Checksummer
	// Include, when set, selects the members (by index in the manifest)
	// whose artifacts are checksummed; the cross-document checks run for
	// every member regardless. nil includes all.
	Include func(index int) bool
	// Concurrency is how many artifacts are checksummed at once (<= 1: one
	// at a time, member by member, exactly as Artifacts does).
	Concurrency int
}

// Check runs the cross-document checks of Artifacts on already-validated
// documents and checksums the included members' artifacts with
// opts.Checksum, so a backup kept elsewhere than in a local directory is
// verified by the same rules and with the same *VerificationError codes.
// The report lists the checksummed artifacts in manifest order. With
// Concurrency > 1 every member's cross-document checks run first; the
// error reported is that of the first failing member in manifest order.
func Check(ctx context.Context, m *manifest.FleetBackupManifest, j *journal.DownloadJournal, opts CheckOptions) (*Report, error) {
	if err := crossCheck(m, j, opts.ManifestPath, opts.JournalPath); err != nil {
		return nil, err
	}
	include := opts.Include
	if include == nil {
		include = func(int) bool { return true }
	}
	n := len(m.Fleet.Members)
	results := make([]*ArtifactReport, n)
	if opts.Concurrency <= 1 {
		for i := range m.Fleet.Members {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			entry, expected, err := memberEntry(opts.ManifestPath, opts.JournalPath, &m.Fleet.Members[i], j)
			if err != nil {
				return nil, err
			}
			if !include(i) {
				continue
			}
			if results[i], err = checkArtifact(ctx, opts.Checksum, entry, expected); err != nil {
				return nil, err
			}
		}
	} else {
		entries := make([]*journal.ArtifactJournalEntry, n)
		expected := make([]string, n)
		for i := range m.Fleet.Members {
			e, x, err := memberEntry(opts.ManifestPath, opts.JournalPath, &m.Fleet.Members[i], j)
			if err != nil {
				return nil, err
			}
			entries[i], expected[i] = e, x
		}
		if err := parallel.ForEach(ctx, opts.Concurrency, n, func(ctx context.Context, i int) error {
			if !include(i) {
				return nil
			}
			a, err := checkArtifact(ctx, opts.Checksum, entries[i], expected[i])
			results[i] = a
			return err
		}); err != nil {
			return nil, err
		}
	}
	report := &Report{
		BackupID:         m.BackupID,
		Verified:         true,
		ManifestMembers:  n,
		JournalArtifacts: len(j.Artifacts),
		Artifacts:        make([]ArtifactReport, 0, n),
	}
	for _, a := range results {
		if a != nil {
			report.Artifacts = append(report.Artifacts, *a)
		}
	}
	report.DurableArtifacts = len(report.Artifacts)
	return report, nil
}

// checkArtifact checksums one member's artifact and compares it with the
// expected checksum.
func checkArtifact(ctx context.Context, sum Checksummer, entry *journal.ArtifactJournalEntry, expected string) (*ArtifactReport, error) {
	display, got, err := sum(ctx, entry.ArtifactPath)
	if err != nil {
		var ve *VerificationError
		switch {
		case errors.As(err, &ve):
			return nil, err
		case ctx.Err() != nil:
			return nil, ctx.Err()
		default:
			return nil, fail(CodeUnreadable, display, err, "%v", err)
		}
	}
	if err := got.Verify(expected); err != nil {
		return nil, wrap(CodeChecksum, display, err)
	}
	return &ArtifactReport{CanisterID: entry.CanisterID, SnapshotID: entry.SnapshotID, ArtifactPath: display, Checksum: expected}, nil
}

// crossCheck runs the document-level checks: same backup id, same
// topology receipts, no journal artifact the manifest does not declare.
func crossCheck(m *manifest.FleetBackupManifest, j *journal.DownloadJournal, manifestPath, journalPath string) error {
	if m.BackupID != j.BackupID {
		return fail(CodeBackupIDMismatch, manifestPath, nil,
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
			return fail(CodeManifestJournalTopologyMismatch, manifestPath, nil,
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
			return fail(CodeUnexpectedJournalArtifact, journalPath, nil,
				"journal artifact %s snapshot %s is not declared in manifest", e.CanisterID, e.SnapshotID)
		}
	}
	return nil
}

// memberEntry finds a member's journal entry and checks that it is
// durable, checksummed and agrees with the manifest; it returns the entry
// and the expected checksum.
func memberEntry(manifestPath, journalPath string, mem *manifest.FleetMember, j *journal.DownloadJournal) (*journal.ArtifactJournalEntry, string, error) {
	snap := mem.SourceSnapshot.SnapshotID
	var entry *journal.ArtifactJournalEntry
	for i := range j.Artifacts {
		if j.Artifacts[i].CanisterID == mem.CanisterID && j.Artifacts[i].SnapshotID == snap {
			entry = &j.Artifacts[i]
			break
		}
	}
	if entry == nil {
		return nil, "", fail(CodeMissingJournalArtifact, journalPath, nil,
			"manifest member %s snapshot %s has no journal artifact", mem.CanisterID, snap)
	}
	if entry.State != journal.ArtifactState("Durable") {
		return nil, "", fail(CodeNonDurableArtifact, journalPath, nil,
			"journal artifact %s snapshot %s is not durable", entry.CanisterID, entry.SnapshotID)
	}
	if entry.Checksum == nil {
		return nil, "", fail(CodeMissingJournalArtifactChecksum, journalPath, nil,
			"journal artifact %s snapshot %s has no checksum", entry.CanisterID, entry.SnapshotID)
	}
	expected := *entry.Checksum
	if mem.SourceSnapshot.ArtifactPath != entry.ArtifactPath {
		return nil, "", fail(CodeManifestJournalArtifactPathMismatch, manifestPath, nil,
			"manifest artifact path for %s snapshot %s does not match journal artifact path", entry.CanisterID, entry.SnapshotID)
	}
	if c := mem.SourceSnapshot.Checksum; c != nil && !strings.EqualFold(*c, expected) {
		return nil, "", fail(CodeManifestJournalChecksumMismatch, manifestPath, nil,
			"manifest checksum for %s snapshot %s does not match journal checksum", entry.CanisterID, entry.SnapshotID)
	}
	return entry, expected, nil
}
