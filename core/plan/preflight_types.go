package plan

// PreflightTTLSeconds is how long a runner-issued preflight stays valid
// (0.35.1 PREFLIGHT_TTL_SECONDS).
const PreflightTTLSeconds = 300

// BackupExecutionPreflightReceipts is the bundle an executor returns from
// preflight; applying it upgrades a declared plan to an executable one.
type BackupExecutionPreflightReceipts struct {
	PlanID                string                         `json:"plan_id"`
	PreflightID           string                         `json:"preflight_id"`
	ValidatedAt           string                         `json:"validated_at"`
	ExpiresAt             string                         `json:"expires_at"`
	Topology              TopologyPreflightReceipt       `json:"topology"`
	ControlAuthority      []ControlAuthorityReceipt      `json:"control_authority"`
	SnapshotReadAuthority []SnapshotReadAuthorityReceipt `json:"snapshot_read_authority"`
	Quiescence            QuiescencePreflightReceipt     `json:"quiescence"`
}

// ControlAuthorityReceipt proves (or declares) who controls one target.
type ControlAuthorityReceipt struct {
	PlanID           string               `json:"plan_id"`
	PreflightID      string               `json:"preflight_id"`
	TargetCanisterID string               `json:"target_canister_id"`
	Authority        ControlAuthority     `json:"authority"`
	ProofSource      AuthorityProofSource `json:"proof_source"`
	ValidatedAt      string               `json:"validated_at"`
	ExpiresAt        string               `json:"expires_at"`
	Message          *string              `json:"message"`
}

// SnapshotReadAuthorityReceipt proves (or declares) who may read one
// target's snapshots.
type SnapshotReadAuthorityReceipt struct {
	PlanID           string                `json:"plan_id"`
	PreflightID      string                `json:"preflight_id"`
	TargetCanisterID string                `json:"target_canister_id"`
	Authority        SnapshotReadAuthority `json:"authority"`
	ProofSource      AuthorityProofSource  `json:"proof_source"`
	ValidatedAt      string                `json:"validated_at"`
	ExpiresAt        string                `json:"expires_at"`
	Message          *string               `json:"message"`
}

// TopologyPreflightTarget is one target as the topology check sees it.
type TopologyPreflightTarget struct {
	CanisterID       string  `json:"canister_id"`
	ParentCanisterID *string `json:"parent_canister_id"`
	Depth            uint32  `json:"depth"`
}

// TopologyPreflightReceipt records the topology hash seen at preflight.
type TopologyPreflightReceipt struct {
	PlanID                    string                    `json:"plan_id"`
	PreflightID               string                    `json:"preflight_id"`
	TopologyHashBeforeQuiesce string                    `json:"topology_hash_before_quiesce"`
	TopologyHashAtPreflight   string                    `json:"topology_hash_at_preflight"`
	Targets                   []TopologyPreflightTarget `json:"targets"`
	ValidatedAt               string                    `json:"validated_at"`
	ExpiresAt                 string                    `json:"expires_at"`
	Message                   *string                   `json:"message"`
}

// QuiescencePreflightTarget is one target as the quiescence check sees it.
type QuiescencePreflightTarget struct {
	CanisterID       string  `json:"canister_id"`
	Role             *string `json:"role"`
	ParentCanisterID *string `json:"parent_canister_id"`
}

// QuiescencePreflightReceipt records whether the quiescence policy was accepted.
type QuiescencePreflightReceipt struct {
	PlanID           string                      `json:"plan_id"`
	PreflightID      string                      `json:"preflight_id"`
	QuiescencePolicy QuiescencePolicy            `json:"quiescence_policy"`
	Accepted         bool                        `json:"accepted"`
	Targets          []QuiescencePreflightTarget `json:"targets"`
	ValidatedAt      string                      `json:"validated_at"`
	ExpiresAt        string                      `json:"expires_at"`
	Message          *string                     `json:"message"`
}

// ControlAuthorityPreflightTarget is one target of a control-authority request.
type ControlAuthorityPreflightTarget struct {
	CanisterID        string           `json:"canister_id"`
	Role              *string          `json:"role"`
	ParentCanisterID  *string          `json:"parent_canister_id"`
	DeclaredAuthority ControlAuthority `json:"declared_authority"`
}

// ControlAuthorityPreflightRequest asks an executor to prove control authority.
type ControlAuthorityPreflightRequest struct {
	PlanID                 string                            `json:"plan_id"`
	RunID                  string                            `json:"run_id"`
	Fleet                  string                            `json:"fleet"`
	Network                string                            `json:"network"`
	RootCanisterID         string                            `json:"root_canister_id"`
	RequiresRootController bool                              `json:"requires_root_controller"`
	Targets                []ControlAuthorityPreflightTarget `json:"targets"`
}

// SnapshotReadAuthorityPreflightTarget is one target of a snapshot-read request.
type SnapshotReadAuthorityPreflightTarget struct {
	CanisterID        string                `json:"canister_id"`
	Role              *string               `json:"role"`
	ParentCanisterID  *string               `json:"parent_canister_id"`
	DeclaredAuthority SnapshotReadAuthority `json:"declared_authority"`
}

// SnapshotReadAuthorityPreflightRequest asks an executor to prove snapshot-read authority.
type SnapshotReadAuthorityPreflightRequest struct {
	PlanID         string                                 `json:"plan_id"`
	RunID          string                                 `json:"run_id"`
	Fleet          string                                 `json:"fleet"`
	Network        string                                 `json:"network"`
	RootCanisterID string                                 `json:"root_canister_id"`
	Targets        []SnapshotReadAuthorityPreflightTarget `json:"targets"`
}

// TopologyPreflightRequest asks an executor to re-hash the live topology.
type TopologyPreflightRequest struct {
	PlanID                    string                    `json:"plan_id"`
	RunID                     string                    `json:"run_id"`
	Fleet                     string                    `json:"fleet"`
	Network                   string                    `json:"network"`
	RootCanisterID            string                    `json:"root_canister_id"`
	SelectedSubtreeRoot       *string                   `json:"selected_subtree_root"`
	SelectedScopeKind         BackupScopeKind           `json:"selected_scope_kind"`
	TopologyHashBeforeQuiesce string                    `json:"topology_hash_before_quiesce"`
	Targets                   []TopologyPreflightTarget `json:"targets"`
}

// QuiescencePreflightRequest asks an executor to accept the quiescence policy.
type QuiescencePreflightRequest struct {
	PlanID              string                      `json:"plan_id"`
	RunID               string                      `json:"run_id"`
	Fleet               string                      `json:"fleet"`
	Network             string                      `json:"network"`
	RootCanisterID      string                      `json:"root_canister_id"`
	SelectedSubtreeRoot *string                     `json:"selected_subtree_root"`
	QuiescencePolicy    QuiescencePolicy            `json:"quiescence_policy"`
	Targets             []QuiescencePreflightTarget `json:"targets"`
}
