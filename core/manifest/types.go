package manifest

// Version is the only manifest version 0.35.1 reads and writes.
const Version uint16 = 1

// SHA256 is the only hash algorithm name accepted anywhere in a manifest.
const SHA256 = "sha256"

// StatusCheckKind is the only verification check kind 0.35.1 knows.
const StatusCheckKind = "status"

// FleetBackupManifest is fleet-backup-manifest.json: what was backed up, from
// which topology, and how to verify a restore.
type FleetBackupManifest struct {
	// ManifestVersion must be Version.
	ManifestVersion uint16 `json:"manifest_version"`
	// BackupID names the backup (the run id for executable backups).
	BackupID string `json:"backup_id"`
	// CreatedAt is when the manifest was written (any nonempty text;
	// writers use a "unix:<secs>" marker).
	CreatedAt string `json:"created_at"`
	// Tool names the program that wrote the manifest.
	Tool ToolMetadata `json:"tool"`
	// Source names the network and root canister backed up.
	Source SourceMetadata `json:"source"`
	// Consistency lists the backup units (consistency groups).
	Consistency ConsistencySection `json:"consistency"`
	// Fleet holds the topology hashes and the members.
	Fleet FleetSection `json:"fleet"`
	// Verification holds fleet-wide and per-role checks.
	Verification VerificationPlan `json:"verification"`
}

// ToolMetadata names the writing tool.
type ToolMetadata struct {
	// Name of the tool, e.g. "canic".
	Name string `json:"name"`
	// Version of the tool, e.g. "0.35.1".
	Version string `json:"version"`
}

// SourceMetadata names where the backup came from.
type SourceMetadata struct {
	// Environment is the network name, e.g. "local".
	Environment string `json:"environment"`
	// RootCanister is the fleet root's principal.
	RootCanister string `json:"root_canister"`
}

// ConsistencySection lists the backup units.
type ConsistencySection struct {
	// BackupUnits must be non-empty.
	BackupUnits []BackupUnit `json:"backup_units"`
}

// BackupUnit is a group of roles captured together. A unit selects every
// fleet member whose role it lists.
type BackupUnit struct {
	// UnitID is unique within the manifest.
	UnitID string `json:"unit_id"`
	// Kind says whether the unit claims to be a connected, closed subtree.
	Kind BackupUnitKind `json:"kind"`
	// Roles are the member roles in the unit (non-empty, unique).
	Roles []string `json:"roles"`
}

// FleetSection holds the topology hashes and the backed-up members.
type FleetSection struct {
	// TopologyHashAlgorithm must be "sha256".
	TopologyHashAlgorithm string `json:"topology_hash_algorithm"`
	// TopologyHashInput describes what was hashed (free text).
	TopologyHashInput string `json:"topology_hash_input"`
	// DiscoveryTopologyHash is the hex64 hash at discovery.
	DiscoveryTopologyHash string `json:"discovery_topology_hash"`
	// PreSnapshotTopologyHash is the hex64 hash just before snapshots; it
	// must equal DiscoveryTopologyHash.
	PreSnapshotTopologyHash string `json:"pre_snapshot_topology_hash"`
	// TopologyHash is the accepted hash; it must equal DiscoveryTopologyHash.
	TopologyHash string `json:"topology_hash"`
	// Members must be non-empty with unique canister ids.
	Members []FleetMember `json:"members"`
}

// FleetMember is one backed-up canister.
type FleetMember struct {
	// Role is the member's role name (nonempty).
	Role string `json:"role"`
	// CanisterID is the member's principal.
	CanisterID string `json:"canister_id"`
	// ParentCanisterID is the parent's principal, if any.
	ParentCanisterID *string `json:"parent_canister_id"`
	// SubnetCanisterID is the subnet's canister principal, if known.
	SubnetCanisterID *string `json:"subnet_canister_id"`
	// ControllerHint is the principal expected to control the member, if known.
	ControllerHint *string `json:"controller_hint"`
	// IdentityMode says whether a restore must keep the principal.
	IdentityMode IdentityMode `json:"identity_mode"`
	// VerificationChecks must be non-empty.
	VerificationChecks []VerificationCheck `json:"verification_checks"`
	// SourceSnapshot describes the captured snapshot and its artifact.
	SourceSnapshot SourceSnapshot `json:"source_snapshot"`
}

// SourceSnapshot describes one member's snapshot artifact.
type SourceSnapshot struct {
	// SnapshotID is the IC snapshot id (nonempty).
	SnapshotID string `json:"snapshot_id"`
	// ModuleHash is the installed module hash, if known (nonempty when set).
	ModuleHash *string `json:"module_hash"`
	// CodeVersion is a code version label, if known (nonempty when set).
	CodeVersion *string `json:"code_version"`
	// ArtifactPath is the artifact's path relative to the backup root.
	ArtifactPath string `json:"artifact_path"`
	// ChecksumAlgorithm must be "sha256".
	ChecksumAlgorithm string `json:"checksum_algorithm"`
	// Checksum is the artifact's hex64 checksum, if recorded.
	Checksum *string `json:"checksum" wire:"default"`
}

// VerificationPlan holds checks beyond each member's own.
type VerificationPlan struct {
	// FleetChecks apply fleet-wide.
	FleetChecks []VerificationCheck `json:"fleet_checks"`
	// MemberChecks are per-role check groups.
	MemberChecks []MemberVerificationChecks `json:"member_checks"`
}

// MemberVerificationChecks is a group of checks for one role.
type MemberVerificationChecks struct {
	// Role names the fleet role the checks apply to (unique across groups).
	Role string `json:"role"`
	// Checks must be non-empty.
	Checks []VerificationCheck `json:"checks"`
}

// VerificationCheck is one post-restore check.
type VerificationCheck struct {
	// Kind must be "status".
	Kind string `json:"kind"`
	// Roles the check applies to; empty means all roles.
	Roles []string `json:"roles"`
}
