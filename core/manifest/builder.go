package manifest

import (
	"errors"
	"fmt"
	"strconv"
)

// RunUnitID is the backup-unit id the runner writes for a connected
// selection; disconnected selections get RunUnitID-1, RunUnitID-2, ...
const RunUnitID = "backup-selection"

// SnapshotUnitID is the backup-unit id `snapshot download` writes.
const SnapshotUnitID = "snapshot-selection"

// ErrMissingArtifact is matched (errors.Is) by *MissingArtifactError.
var ErrMissingArtifact = errors.New("missing durable artifact")

// MissingArtifactError reports a member that has no durable artifact record.
type MissingArtifactError struct {
	// CanisterID is the member without an artifact.
	CanisterID string
}

// Error names the canister.
func (e *MissingArtifactError) Error() string {
	return fmt.Sprintf("manifest member %s has no durable artifact", e.CanisterID)
}

// Unwrap makes the error match ErrMissingArtifact.
func (e *MissingArtifactError) Unwrap() error { return ErrMissingArtifact }

// BuildInput holds everything a finished backup contributes to its manifest,
// as plain values so that core/runner (and the snapshot-download path) can
// build a manifest without this package knowing plans or journals.
type BuildInput struct {
	// BackupID is the run id (executable backups) or the output directory
	// name (snapshot download).
	BackupID string
	// CreatedAt is the creation marker, e.g. "unix:1778594400".
	CreatedAt string
	// ToolName and ToolVersion name the writer ("canic", "0.35.1").
	ToolName, ToolVersion string
	// Environment is the network name.
	Environment string
	// RootCanister is the fleet root principal.
	RootCanister string
	// TopologyHashInput describes the hashed topology; the runner passes
	// PlanTopologyInput(plan_id).
	TopologyHashInput string
	// DiscoveryTopologyHash is the hash at discovery (the runner passes the
	// plan's topology_hash_before_quiesce). It is also the accepted hash.
	DiscoveryTopologyHash string
	// PreSnapshotTopologyHash is the hash just before snapshots; empty means
	// the same as DiscoveryTopologyHash.
	PreSnapshotTopologyHash string
	// Members are the backed-up canisters in plan target order.
	Members []MemberInput
	// Units overrides the backup units; nil derives them from Members with
	// DeriveUnits(UnitID, ...).
	Units []BackupUnit
	// UnitID is the base unit id for derived units; empty means RunUnitID.
	UnitID string
}

// MemberInput is one backed-up canister.
type MemberInput struct {
	// Role is the member's role; nil becomes "member-<index>".
	Role *string
	// CanisterID is the member's principal.
	CanisterID string
	// ParentCanisterID is the parent's principal, if any.
	ParentCanisterID *string
	// SubnetCanisterID is the subnet canister, if known (runner: nil).
	SubnetCanisterID *string
	// ControllerHint is the expected controller (runner: the root when the
	// target's control authority source is root-controller, else nil).
	ControllerHint *string
	// IdentityMode is the target's identity mode.
	IdentityMode IdentityMode
	// ModuleHash is the expected module hash, if known.
	ModuleHash *string
	// Artifact is the member's durable artifact (the runner passes the first
	// Durable download-journal entry of the canister); nil is an error.
	Artifact *ArtifactRecord
}

// ArtifactRecord is the durable artifact of one member.
type ArtifactRecord struct {
	// SnapshotID is the IC snapshot id.
	SnapshotID string
	// ArtifactPath is relative to the backup root.
	ArtifactPath string
	// ChecksumAlgorithm is "sha256".
	ChecksumAlgorithm string
	// Checksum is the artifact's hex64 checksum.
	Checksum *string
}

// PlanTopologyInput returns the runner's topology_hash_input for a plan id.
func PlanTopologyInput(planID string) string { return "canic-backup-plan:" + planID }

// MemberRole returns role, or "member-<index>" when role is nil.
func MemberRole(index int, role *string) string {
	if role != nil {
		return *role
	}
	return "member-" + strconv.Itoa(index)
}

// Build assembles and validates the manifest of a finished backup. It
// follows 0.35.1's finalize-manifest field by field, except that backup
// units are derived with DeriveUnits, so selections that are not one
// connected subtree (a non-root fleet whose root has several children) or
// that repeat a role no longer fail validation (see docs/compat.md).
func Build(in BuildInput) (*FleetBackupManifest, error) {
	pre := in.PreSnapshotTopologyHash
	if pre == "" {
		pre = in.DiscoveryTopologyHash
	}
	m := &FleetBackupManifest{
		ManifestVersion: Version,
		BackupID:        in.BackupID,
		CreatedAt:       in.CreatedAt,
		Tool:            ToolMetadata{Name: in.ToolName, Version: in.ToolVersion},
		Source:          SourceMetadata{Environment: in.Environment, RootCanister: in.RootCanister},
		Fleet: FleetSection{
			TopologyHashAlgorithm:   SHA256,
			TopologyHashInput:       in.TopologyHashInput,
			DiscoveryTopologyHash:   in.DiscoveryTopologyHash,
			PreSnapshotTopologyHash: pre,
			TopologyHash:            in.DiscoveryTopologyHash,
			Members:                 make([]FleetMember, 0, len(in.Members)),
		},
		Verification: VerificationPlan{FleetChecks: []VerificationCheck{}, MemberChecks: []MemberVerificationChecks{}},
	}
	for i, mi := range in.Members {
		if mi.Artifact == nil {
			return nil, &MissingArtifactError{CanisterID: mi.CanisterID}
		}
		role := MemberRole(i, mi.Role)
		m.Fleet.Members = append(m.Fleet.Members, FleetMember{
			Role:               role,
			CanisterID:         mi.CanisterID,
			ParentCanisterID:   cloneString(mi.ParentCanisterID),
			SubnetCanisterID:   cloneString(mi.SubnetCanisterID),
			ControllerHint:     cloneString(mi.ControllerHint),
			IdentityMode:       mi.IdentityMode,
			VerificationChecks: []VerificationCheck{{Kind: StatusCheckKind, Roles: []string{role}}},
			SourceSnapshot: SourceSnapshot{
				SnapshotID:        mi.Artifact.SnapshotID,
				ModuleHash:        cloneString(mi.ModuleHash),
				ArtifactPath:      mi.Artifact.ArtifactPath,
				ChecksumAlgorithm: mi.Artifact.ChecksumAlgorithm,
				Checksum:          cloneString(mi.Artifact.Checksum),
			},
		})
	}
	if in.Units != nil {
		m.Consistency.BackupUnits = in.Units
	} else {
		id := in.UnitID
		if id == "" {
			id = RunUnitID
		}
		m.Consistency.BackupUnits = DeriveUnits(id, m.Fleet.Members)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// DeriveUnits groups members into backup units that always validate:
//
//   - members linked by parent_canister_id (within the selection) form a
//     group; groups that share a role are merged, because a unit selects
//     members by role;
//   - one group gets unit id baseID, several get baseID-1, baseID-2, ... in
//     order of their first member;
//   - each unit lists its roles once, in member order;
//   - a unit is "subtree" when it has several members and they form one
//     connected subtree closed under descendants, else "single".
//
// For a connected selection without repeated roles this is exactly 0.35.1's
// single "backup-selection" unit, so such manifests stay byte-identical.
func DeriveUnits(baseID string, members []FleetMember) []BackupUnit {
	n := len(members)
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		ra, rb := find(a), find(b)
		if ra == rb {
			return
		}
		if ra < rb {
			parent[rb] = ra
		} else {
			parent[ra] = rb
		}
	}
	indexByID := make(map[string]int, n)
	firstByRole := make(map[string]int, n)
	for i, m := range members {
		if _, ok := indexByID[m.CanisterID]; !ok {
			indexByID[m.CanisterID] = i
		}
		if j, ok := firstByRole[m.Role]; ok {
			union(i, j)
		} else {
			firstByRole[m.Role] = i
		}
	}
	for i, m := range members {
		if m.ParentCanisterID != nil {
			if j, ok := indexByID[*m.ParentCanisterID]; ok {
				union(i, j)
			}
		}
	}
	var order []int
	groups := make(map[int][]int)
	for i := range members {
		r := find(i)
		if _, ok := groups[r]; !ok {
			order = append(order, r)
		}
		groups[r] = append(groups[r], i)
	}
	fleet := &FleetSection{Members: members}
	units := make([]BackupUnit, 0, len(order))
	for k, r := range order {
		idx := groups[r]
		u := BackupUnit{UnitID: baseID, Kind: UnitSingle, Roles: []string{}}
		if len(order) > 1 {
			u.UnitID = baseID + "-" + strconv.Itoa(k+1)
		}
		seen := map[string]bool{}
		for _, i := range idx {
			if !seen[members[i].Role] {
				seen[members[i].Role] = true
				u.Roles = append(u.Roles, members[i].Role)
			}
		}
		if len(idx) > 1 {
			u.Kind = UnitSubtree
			if subtreeRule(&u, fleet) != nil {
				u.Kind = UnitSingle
			}
		}
		units = append(units, u)
	}
	return units
}

func cloneString(s *string) *string {
	if s == nil {
		return nil
	}
	v := *s
	return &v
}
