package restore

import (
	"fmt"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/wire"
)

// Plan is the no-mutation restore plan (`restore plan` output). Its members
// are already in execution order (parent before child).
type Plan struct {
	// BackupID is the manifest's backup id.
	BackupID string `json:"backup_id"`
	// SourceEnvironment is the manifest's source environment.
	SourceEnvironment string `json:"source_environment"`
	// SourceRootCanister is the manifest's source root canister.
	SourceRootCanister string `json:"source_root_canister"`
	// TopologyHash is the manifest's accepted topology hash.
	TopologyHash string `json:"topology_hash"`
	// MemberCount is the number of manifest members.
	MemberCount int `json:"member_count"`
	// IdentitySummary counts identity modes and remaps.
	IdentitySummary IdentitySummary `json:"identity_summary"`
	// SnapshotSummary counts snapshot metadata.
	SnapshotSummary SnapshotSummary `json:"snapshot_summary"`
	// VerificationSummary counts checks.
	VerificationSummary VerificationSummary `json:"verification_summary"`
	// ReadinessSummary says whether the plan can be applied.
	ReadinessSummary ReadinessSummary `json:"readiness_summary"`
	// OperationSummary counts planned operations.
	OperationSummary OperationSummary `json:"operation_summary"`
	// OrderingSummary counts ordering edges.
	OrderingSummary OrderingSummary `json:"ordering_summary"`
	// FleetVerificationChecks is a copy of the manifest's fleet checks.
	FleetVerificationChecks []manifest.VerificationCheck `json:"fleet_verification_checks" wire:"default"`
	// Members are the resolved members in execution order.
	Members []PlanMember `json:"members"`
}

// IdentitySummary counts identity modes and mapping use.
type IdentitySummary struct {
	MappingSupplied    bool `json:"mapping_supplied"`
	AllSourcesMapped   bool `json:"all_sources_mapped"`
	FixedMembers       int  `json:"fixed_members"`
	RelocatableMembers int  `json:"relocatable_members"`
	InPlaceMembers     int  `json:"in_place_members"`
	MappedMembers      int  `json:"mapped_members"`
	RemappedMembers    int  `json:"remapped_members"`
}

// SnapshotSummary counts members with each piece of snapshot metadata.
type SnapshotSummary struct {
	AllMembersHaveModuleHash  bool `json:"all_members_have_module_hash"`
	AllMembersHaveCodeVersion bool `json:"all_members_have_code_version"`
	AllMembersHaveChecksum    bool `json:"all_members_have_checksum"`
	MembersWithModuleHash     int  `json:"members_with_module_hash"`
	MembersWithCodeVersion    int  `json:"members_with_code_version"`
	MembersWithChecksum       int  `json:"members_with_checksum"`
}

// VerificationSummary counts fleet and concrete member checks.
type VerificationSummary struct {
	VerificationRequired bool `json:"verification_required"`
	AllMembersHaveChecks bool `json:"all_members_have_checks"`
	FleetChecks          int  `json:"fleet_checks"`
	MemberCheckGroups    int  `json:"member_check_groups"`
	MemberChecks         int  `json:"member_checks"`
	MembersWithChecks    int  `json:"members_with_checks"`
	TotalChecks          int  `json:"total_checks"`
}

// ReadinessSummary says whether the plan is restore-ready and why not.
type ReadinessSummary struct {
	Ready   bool     `json:"ready"`
	Reasons []string `json:"reasons"`
}

// Readiness reasons of a plan.
const (
	ReasonMissingSnapshotChecksum   = "missing-snapshot-checksum"
	ReasonMissingVerificationChecks = "missing-verification-checks"
)

// OperationSummary counts the operations a plan implies.
type OperationSummary struct {
	PlannedCanisterStops      int `json:"planned_canister_stops" wire:"default"`
	PlannedCanisterStarts     int `json:"planned_canister_starts" wire:"default"`
	PlannedSnapshotUploads    int `json:"planned_snapshot_uploads"`
	PlannedSnapshotLoads      int `json:"planned_snapshot_loads"`
	PlannedVerificationChecks int `json:"planned_verification_checks"`
	PlannedOperations         int `json:"planned_operations"`
}

// OrderingSummary counts parent edges among ordered members.
type OrderingSummary struct {
	OrderedMembers        int `json:"ordered_members"`
	DependencyFreeMembers int `json:"dependency_free_members"`
	ParentEdges           int `json:"parent_edges"`
}

// PlanMember is one member resolved onto its target.
type PlanMember struct {
	SourceCanister       string  `json:"source_canister"`
	TargetCanister       string  `json:"target_canister"`
	Role                 string  `json:"role"`
	ParentSourceCanister *string `json:"parent_source_canister"`
	// ParentTargetCanister is nil when the parent is not in this backup.
	ParentTargetCanister *string `json:"parent_target_canister"`
	// OrderingDependency is set when the parent is a member of this backup.
	OrderingDependency *OrderingDependency `json:"ordering_dependency"`
	// MemberOrder is the 0-based position in Plan.Members.
	MemberOrder  int                   `json:"member_order"`
	IdentityMode manifest.IdentityMode `json:"identity_mode"`
	// VerificationChecks are the concrete checks for this member.
	VerificationChecks []manifest.VerificationCheck `json:"verification_checks"`
	// SourceSnapshot is copied verbatim from the manifest.
	SourceSnapshot manifest.SourceSnapshot `json:"source_snapshot"`
}

// OrderingDependency says a member's parent is restored before it.
type OrderingDependency struct {
	SourceCanister string       `json:"source_canister"`
	TargetCanister string       `json:"target_canister"`
	Relationship   Relationship `json:"relationship"`
}

// Relationship is RestoreOrderingRelationship.
type Relationship string

// ParentBeforeChild is the only ordering relationship.
const ParentBeforeChild Relationship = "parent-before-child"

// MarshalText implements encoding.TextMarshaler.
func (r Relationship) MarshalText() ([]byte, error) {
	if r != ParentBeforeChild {
		return nil, fmt.Errorf("unknown variant `%s`, expected `%s`", r, ParentBeforeChild)
	}
	return []byte(r), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Relationship) UnmarshalText(b []byte) error {
	if string(b) != string(ParentBeforeChild) {
		return fmt.Errorf("unknown variant `%s`, expected `%s`", b, ParentBeforeChild)
	}
	*r = ParentBeforeChild
	return nil
}

// ReadPlan reads and decodes a plan file. Like 0.35.1 it does not
// re-validate the plan; apply checks what it uses.
func ReadPlan(path string) (*Plan, error) {
	data, err := layout.ReadDocument(path, layout.MaxDocumentSize)
	if err != nil {
		return nil, err
	}
	var p Plan
	if err := wire.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &p, nil
}
