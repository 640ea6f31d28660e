package restore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/canic-backup/canic-backup/core/checksum"
)

// DryRunVersion is the only apply dry-run version.
const DryRunVersion uint16 = 1

// DryRun is `restore apply --dry-run` output: the ordered operations of a
// plan and, with --backup-dir, the validation of its artifacts.
type DryRun struct {
	DryRunVersion    uint16   `json:"dry_run_version"`
	BackupID         string   `json:"backup_id"`
	Ready            bool     `json:"ready"`
	ReadinessReasons []string `json:"readiness_reasons"`
	MemberCount      int      `json:"member_count"`
	// OperationSummary is the plan's (its fields are written inline, as
	// 0.35.1's dry run lists them).
	OperationSummary
	RenderedOperations int                 `json:"rendered_operations"`
	OperationCounts    OperationKindCounts `json:"operation_counts" wire:"default"`
	// ArtifactValidation is nil without --backup-dir.
	ArtifactValidation *ArtifactValidation `json:"artifact_validation"`
	Operations         []DryRunOperation   `json:"operations"`
}

// OperationKindCounts counts operations by kind.
type OperationKindCounts struct {
	CanisterStops          int `json:"canister_stops" wire:"default"`
	CanisterStarts         int `json:"canister_starts" wire:"default"`
	SnapshotUploads        int `json:"snapshot_uploads"`
	SnapshotLoads          int `json:"snapshot_loads"`
	MemberVerifications    int `json:"member_verifications"`
	FleetVerifications     int `json:"fleet_verifications"`
	VerificationOperations int `json:"verification_operations"`
}

func (c *OperationKindCounts) add(k OperationKind) {
	switch k {
	case OpStopCanister:
		c.CanisterStops++
	case OpStartCanister:
		c.CanisterStarts++
	case OpUploadSnapshot:
		c.SnapshotUploads++
	case OpLoadSnapshot:
		c.SnapshotLoads++
	case OpVerifyMember:
		c.MemberVerifications++
		c.VerificationOperations++
	case OpVerifyFleet:
		c.FleetVerifications++
		c.VerificationOperations++
	}
}

// DryRunOperation is one rendered operation.
type DryRunOperation struct {
	Sequence         int           `json:"sequence"`
	Operation        OperationKind `json:"operation"`
	MemberOrder      int           `json:"member_order"`
	SourceCanister   string        `json:"source_canister"`
	TargetCanister   string        `json:"target_canister"`
	Role             string        `json:"role"`
	SnapshotID       *string       `json:"snapshot_id"`
	ArtifactPath     *string       `json:"artifact_path"`
	VerificationKind *string       `json:"verification_kind"`
}

// ArtifactValidation reports the artifacts checked under --backup-dir.
type ArtifactValidation struct {
	BackupRoot                   string          `json:"backup_root"`
	CheckedMembers               int             `json:"checked_members"`
	ArtifactsPresent             bool            `json:"artifacts_present"`
	ChecksumsVerified            bool            `json:"checksums_verified"`
	MembersWithExpectedChecksums int             `json:"members_with_expected_checksums"`
	Checks                       []ArtifactCheck `json:"checks"`
}

// ArtifactCheck is one member's artifact check.
type ArtifactCheck struct {
	SourceCanister    string  `json:"source_canister"`
	TargetCanister    string  `json:"target_canister"`
	SnapshotID        string  `json:"snapshot_id"`
	ArtifactPath      string  `json:"artifact_path"`
	ResolvedPath      string  `json:"resolved_path"`
	Exists            bool    `json:"exists"`
	ChecksumAlgorithm string  `json:"checksum_algorithm"`
	ChecksumExpected  *string `json:"checksum_expected"`
	ChecksumActual    *string `json:"checksum_actual"`
	ChecksumVerified  bool    `json:"checksum_verified"`
	// files are the digests of a directory artifact's files, as verified
	// (not part of the dry run; the journal records them).
	files []checksum.FileDigest
}

// FleetRole is the role of verify-fleet operations.
const FleetRole = "fleet"

// BuildDryRun renders a plan's operations in 0.35.1's order: uploads, stops
// (parents first), loads, starts (children first), member checks, fleet
// checks. With a non-empty backupRoot every artifact is resolved safely,
// must exist and, where the plan has a checksum, must match it; the first
// failure is returned and nothing should be written.
func BuildDryRun(ctx context.Context, p *Plan, backupRoot string) (*DryRun, error) {
	return buildDryRun(ctx, p, backupRoot, nil)
}

// StreamedArtifacts are the checksums of a backup's artifacts computed
// without a local copy (streamed from an artifact store), by the artifact
// path the manifest records.
type StreamedArtifacts struct {
	// Checksums maps each artifact path checked to its checksum.
	Checksums map[string]checksum.Checksum
	// Files maps each directory artifact checked to its files' digests.
	Files map[string][]checksum.FileDigest
}

// BuildStreamedDryRun is BuildDryRun for a backup whose documents are at
// backupRoot but whose artifacts were checked in a store (s), not read
// there: the artifact validation is the one a full local copy at
// backupRoot gives (the same resolved paths, checksums and file digests),
// through the same checks and coded errors. The plan's snapshots are
// checked against the manifest before the artifacts, since the store was
// asked for the manifest's artifact paths.
func BuildStreamedDryRun(ctx context.Context, p *Plan, backupRoot string, s *StreamedArtifacts) (*DryRun, error) {
	if s == nil {
		s = &StreamedArtifacts{}
	}
	return buildDryRun(ctx, p, backupRoot, s)
}

func buildDryRun(ctx context.Context, p *Plan, backupRoot string, streamed *StreamedArtifacts) (*DryRun, error) {
	d := &DryRun{
		DryRunVersion:    DryRunVersion,
		BackupID:         p.BackupID,
		Ready:            p.ReadinessSummary.Ready,
		ReadinessReasons: append([]string{}, p.ReadinessSummary.Reasons...),
		MemberCount:      p.MemberCount,
		OperationSummary: p.OperationSummary,
		Operations:       renderOperations(p),
	}
	d.RenderedOperations = len(d.Operations)
	for _, op := range d.Operations {
		d.OperationCounts.add(op.Operation)
	}
	if err := checkPlanPrincipals(p); err != nil {
		return nil, err
	}
	if backupRoot != "" {
		// The plan must be one of this backup's (checked before the
		// artifacts), and its snapshots the manifest's (checked after, so
		// 0.35.1's artifact errors keep their precedence; before, for
		// artifacts streamed by the manifest's paths).
		m, path, err := readManifestAt(backupRoot)
		if err != nil {
			return nil, err
		}
		if err := checkPlanIdentity(p, m, path); err != nil {
			return nil, err
		}
		if streamed != nil {
			if err := checkPlanSnapshots(p, m, path); err != nil {
				return nil, err
			}
		}
		v, err := validateArtifacts(ctx, p, backupRoot, streamed)
		if err != nil {
			return nil, err
		}
		if err := checkPlanSnapshots(p, m, path); err != nil {
			return nil, err
		}
		d.ArtifactValidation = v
	}
	return d, nil
}

func renderOperations(p *Plan) []DryRunOperation {
	ops := []DryRunOperation{}
	member := func(kind OperationKind, m PlanMember, snapshot bool, check *string) {
		op := DryRunOperation{
			Sequence: len(ops), Operation: kind, MemberOrder: m.MemberOrder,
			SourceCanister: m.SourceCanister, TargetCanister: m.TargetCanister, Role: m.Role,
			VerificationKind: check,
		}
		if snapshot {
			op.SnapshotID = strPtr(m.SourceSnapshot.SnapshotID)
			op.ArtifactPath = strPtr(m.SourceSnapshot.ArtifactPath)
		}
		ops = append(ops, op)
	}
	for _, m := range p.Members {
		member(OpUploadSnapshot, m, true, nil)
	}
	for _, m := range p.Members {
		member(OpStopCanister, m, false, nil)
	}
	for _, m := range p.Members {
		member(OpLoadSnapshot, m, true, nil)
	}
	for i := len(p.Members) - 1; i >= 0; i-- {
		member(OpStartCanister, p.Members[i], false, nil)
	}
	for _, m := range p.Members {
		for _, c := range m.VerificationChecks {
			member(OpVerifyMember, m, false, strPtr(c.Kind))
		}
	}
	if len(p.FleetVerificationChecks) > 0 {
		src, dst := p.SourceRootCanister, p.SourceRootCanister
		for _, m := range p.Members {
			if m.SourceCanister == p.SourceRootCanister {
				src, dst = m.SourceCanister, m.TargetCanister
				break
			}
		}
		for _, c := range p.FleetVerificationChecks {
			ops = append(ops, DryRunOperation{
				Sequence: len(ops), Operation: OpVerifyFleet, MemberOrder: len(ops),
				SourceCanister: src, TargetCanister: dst, Role: FleetRole,
				VerificationKind: strPtr(c.Kind),
			})
		}
	}
	return ops
}

// validateArtifacts checks every member's artifact under root: present
// (on disk, or checked in the store when streamed is set) and, where the
// plan records a checksum, matching it.
func validateArtifacts(ctx context.Context, p *Plan, root string, streamed *StreamedArtifacts) (*ArtifactValidation, error) {
	v := &ArtifactValidation{BackupRoot: root, Checks: []ArtifactCheck{}}
	for _, m := range p.Members {
		snap := m.SourceSnapshot
		resolved, err := ResolveArtifact(root, m.SourceCanister, snap.ArtifactPath)
		if err != nil {
			return nil, err
		}
		if err := artifactPresent(m.SourceCanister, snap.ArtifactPath, resolved, streamed); err != nil {
			return nil, err
		}
		c := ArtifactCheck{
			SourceCanister: m.SourceCanister, TargetCanister: m.TargetCanister,
			SnapshotID: snap.SnapshotID, ArtifactPath: snap.ArtifactPath, ResolvedPath: resolved,
			Exists: true, ChecksumAlgorithm: snap.ChecksumAlgorithm, ChecksumExpected: cloneStr(snap.Checksum),
		}
		if snap.Checksum != nil {
			sum, files, err := artifactChecksum(ctx, snap.ArtifactPath, resolved, streamed)
			if err == nil {
				err = sum.Verify(strings.ToLower(*snap.Checksum))
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				return nil, newError(CodeArtifactChecksum, "restore artifact checksum failed for %s at %s: %v", m.SourceCanister, snap.ArtifactPath, err).
					withField("checksum", *snap.Checksum).wrapping(err)
			}
			c.ChecksumActual = strPtr(sum.Hash)
			c.ChecksumVerified = true
			c.files = files
			v.MembersWithExpectedChecksums++
		}
		v.Checks = append(v.Checks, c)
	}
	v.CheckedMembers = len(v.Checks)
	v.ArtifactsPresent = true
	verified := true
	for _, c := range v.Checks {
		verified = verified && c.Exists && c.ChecksumVerified
	}
	v.ChecksumsVerified = v.MembersWithExpectedChecksums == p.MemberCount && verified
	return v, nil
}

// artifactPresent refuses an artifact that is not at resolved (or, when
// streamed, was not checked in the store).
func artifactPresent(source, artifactPath, resolved string, streamed *StreamedArtifacts) error {
	if streamed != nil {
		if _, ok := streamed.Checksums[artifactPath]; !ok {
			return newError(CodeArtifactMissing, "restore artifact for %s is missing: %s was not checked in the store", source, artifactPath).
				withField("artifact_path", artifactPath)
		}
		return nil
	}
	if _, err := os.Stat(resolved); err != nil {
		e := newError(CodeArtifactMissing, "restore artifact for %s is missing: %s at %s", source, artifactPath, resolved).
			withField("artifact_path", artifactPath)
		if !errors.Is(err, fs.ErrNotExist) {
			e.text += " (" + err.Error() + ")"
		}
		return e.wrapping(err)
	}
	return nil
}

// artifactChecksum is the checksum (and directory artifact's file digests)
// of the artifact: computed from resolved, or the one streamed.
func artifactChecksum(ctx context.Context, artifactPath, resolved string, streamed *StreamedArtifacts) (checksum.Checksum, []checksum.FileDigest, error) {
	if streamed != nil {
		return streamed.Checksums[artifactPath], streamed.Files[artifactPath], nil
	}
	return checksum.FromPathWithFiles(ctx, resolved)
}

func strPtr(s string) *string { return &s }
