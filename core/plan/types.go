package plan

// BackupPlan is backup-plan.json: what a backup run will touch and in which
// order. Field order and serde rules follow canic-backup 0.35.1 exactly
// (reference §1.1).
type BackupPlan struct {
	PlanID                    string                `json:"plan_id"`
	RunID                     string                `json:"run_id"`
	Fleet                     string                `json:"fleet"`
	Network                   string                `json:"network"`
	RootCanisterID            string                `json:"root_canister_id"`
	SelectedSubtreeRoot       *string               `json:"selected_subtree_root"`
	SelectedScopeKind         BackupScopeKind       `json:"selected_scope_kind"`
	IncludeDescendants        bool                  `json:"include_descendants"`
	RootIncluded              bool                  `json:"root_included"`
	RequiresRootController    bool                  `json:"requires_root_controller"`
	SnapshotReadAuthority     SnapshotReadAuthority `json:"snapshot_read_authority"`
	QuiescencePolicy          QuiescencePolicy      `json:"quiescence_policy"`
	TopologyHashBeforeQuiesce string                `json:"topology_hash_before_quiesce"`
	Targets                   []BackupTarget        `json:"targets"`
	Phases                    []BackupOperation     `json:"phases"`
}

// BackupTarget is one canister a plan backs up.
type BackupTarget struct {
	CanisterID            string                `json:"canister_id"`
	Role                  *string               `json:"role"`
	ParentCanisterID      *string               `json:"parent_canister_id"`
	Depth                 uint32                `json:"depth"`
	ControlAuthority      ControlAuthority      `json:"control_authority"`
	SnapshotReadAuthority SnapshotReadAuthority `json:"snapshot_read_authority"`
	IdentityMode          IdentityMode          `json:"identity_mode"`
	ExpectedModuleHash    *string               `json:"expected_module_hash"`
}

// BackupOperation is one element of a plan's phases.
type BackupOperation struct {
	OperationID      string              `json:"operation_id"`
	Order            uint32              `json:"order"`
	Kind             BackupOperationKind `json:"kind"`
	TargetCanisterID *string             `json:"target_canister_id"`
}

// ControlAuthority says who controls a target and how that is known.
type ControlAuthority struct {
	Source   ControlAuthoritySource `json:"source"`
	Evidence AuthorityEvidence      `json:"evidence"`
}

// SnapshotReadAuthority says who may read a target's snapshots and how that
// is known.
type SnapshotReadAuthority struct {
	Source   SnapshotReadAuthoritySource `json:"source"`
	Evidence AuthorityEvidence           `json:"evidence"`
}

// IsProven reports evidence proven with a known source.
func (a ControlAuthority) IsProven() bool {
	return a.Evidence == EvidenceProven && a.Source.Kind != ControlUnknown
}

// IsProvenRootController reports a proven root-controller authority.
func (a ControlAuthority) IsProvenRootController() bool {
	return a.Evidence == EvidenceProven && a.Source.Kind == ControlRootController
}

// IsProven reports evidence proven with a known source.
func (a SnapshotReadAuthority) IsProven() bool {
	return a.Evidence == EvidenceProven && a.Source != ReadSourceUnknown
}

// Str returns a pointer to a copy of s, for Option<String> fields.
func Str(s string) *string { return &s }
