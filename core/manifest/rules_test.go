package manifest

import (
	"testing"
)

// Every rule of reference §5.1 not already covered by the 0.35.1 checklist,
// with its exact text.
func TestValidationRulesInOrder(t *testing.T) {
	check := []VerificationCheck{{Kind: "status", Roles: []string{}}}
	cases := []struct {
		name   string
		mutate func(m *FleetBackupManifest)
		code   Code
		msg    string
	}{
		{"version", func(m *FleetBackupManifest) { m.ManifestVersion = 2; m.BackupID = "" }, CodeUnsupportedManifestVersion, "unsupported manifest version 2"},
		{"backup_id blank is trimmed", func(m *FleetBackupManifest) { m.BackupID = " \t"; m.CreatedAt = "" }, CodeEmptyField, "field backup_id must not be empty"},
		{"created_at", func(m *FleetBackupManifest) { m.CreatedAt = "" }, CodeEmptyField, "field created_at must not be empty"},
		{"tool.name", func(m *FleetBackupManifest) { m.Tool.Name = "" }, CodeEmptyField, "field tool.name must not be empty"},
		{"tool.version", func(m *FleetBackupManifest) { m.Tool.Version = "" }, CodeEmptyField, "field tool.version must not be empty"},
		{"source.environment", func(m *FleetBackupManifest) { m.Source.Environment = "" }, CodeEmptyField, "field source.environment must not be empty"},
		{"source.root_canister empty", func(m *FleetBackupManifest) { m.Source.RootCanister = "" }, CodeEmptyField, "field source.root_canister must not be empty"},
		{"source.root_canister invalid", func(m *FleetBackupManifest) { m.Source.RootCanister = "aaaaa-ab" }, CodeInvalidPrincipal, "field source.root_canister must be a valid principal: aaaaa-ab"},
		{"units empty", func(m *FleetBackupManifest) { m.Consistency.BackupUnits = nil }, CodeEmptyCollection, "collection consistency.backup_units must not be empty"},
		{"unit id", func(m *FleetBackupManifest) { m.Consistency.BackupUnits[0].UnitID = "" }, CodeEmptyField, "field consistency.backup_units[].unit_id must not be empty"},
		{"unit roles empty", func(m *FleetBackupManifest) { m.Consistency.BackupUnits[0].Roles = nil }, CodeEmptyCollection, "collection consistency.backup_units[].roles must not be empty"},
		{"unit role blank before duplicate", func(m *FleetBackupManifest) {
			m.Consistency.BackupUnits[0].Roles = []string{"root", "root", " "}
		}, CodeEmptyField, "field consistency.backup_units[].roles[] must not be empty"},
		{"topology algorithm empty", func(m *FleetBackupManifest) { m.Fleet.TopologyHashAlgorithm = "" }, CodeEmptyField, "field fleet.topology_hash_algorithm must not be empty"},
		{"topology algorithm", func(m *FleetBackupManifest) { m.Fleet.TopologyHashAlgorithm = "SHA256" }, CodeUnsupportedHashAlgorithm, "unsupported hash algorithm SHA256"},
		{"topology input", func(m *FleetBackupManifest) { m.Fleet.TopologyHashInput = "" }, CodeEmptyField, "field fleet.topology_hash_input must not be empty"},
		{"discovery empty", func(m *FleetBackupManifest) { m.Fleet.DiscoveryTopologyHash = "" }, CodeEmptyField, "field fleet.discovery_topology_hash must not be empty"},
		{"pre-snapshot invalid", func(m *FleetBackupManifest) { m.Fleet.PreSnapshotTopologyHash = "xyz" }, CodeInvalidHash, "field fleet.pre_snapshot_topology_hash must be a non-empty sha256 hex string"},
		{"accepted invalid", func(m *FleetBackupManifest) { m.Fleet.TopologyHash = hashA[:63] }, CodeInvalidHash, "field fleet.topology_hash must be a non-empty sha256 hex string"},
		{"accepted mismatch", func(m *FleetBackupManifest) { m.Fleet.TopologyHash = hashB }, CodeAcceptedTopologyHashMismatch, "accepted topology hash " + hashB + " does not match discovery hash " + hashA},
		{"members empty", func(m *FleetBackupManifest) { m.Fleet.Members = nil }, CodeEmptyCollection, "collection fleet.members must not be empty"},
		{"member role", func(m *FleetBackupManifest) { m.Fleet.Members[1].Role = "" }, CodeEmptyField, "field fleet.members[].role must not be empty"},
		{"member canister", func(m *FleetBackupManifest) { m.Fleet.Members[1].CanisterID = "nope" }, CodeInvalidPrincipal, "field fleet.members[].canister_id must be a valid principal: nope"},
		{"member parent", func(m *FleetBackupManifest) { m.Fleet.Members[1].ParentCanisterID = str("") }, CodeEmptyField, "field fleet.members[].parent_canister_id must not be empty"},
		{"member subnet", func(m *FleetBackupManifest) { m.Fleet.Members[1].SubnetCanisterID = str("x") }, CodeInvalidPrincipal, "field fleet.members[].subnet_canister_id must be a valid principal: x"},
		{"member controller", func(m *FleetBackupManifest) { m.Fleet.Members[1].ControllerHint = str("x") }, CodeInvalidPrincipal, "field fleet.members[].controller_hint must be a valid principal: x"},
		{"member check kind", func(m *FleetBackupManifest) { m.Fleet.Members[1].VerificationChecks[0].Kind = "ping" }, CodeUnsupportedVerificationKind, "unsupported verification kind ping"},
		{"member check kind empty", func(m *FleetBackupManifest) { m.Fleet.Members[1].VerificationChecks[0].Kind = "" }, CodeEmptyField, "field verification.check.kind must not be empty"},
		{"member check role blank", func(m *FleetBackupManifest) { m.Fleet.Members[1].VerificationChecks[0].Roles = []string{""} }, CodeEmptyField, "field verification.check.roles[] must not be empty"},
		{"snapshot id", func(m *FleetBackupManifest) { m.Fleet.Members[1].SourceSnapshot.SnapshotID = "" }, CodeEmptyField, "field fleet.members[].source_snapshot.snapshot_id must not be empty"},
		{"module hash", func(m *FleetBackupManifest) { m.Fleet.Members[1].SourceSnapshot.ModuleHash = str("") }, CodeEmptyField, "field fleet.members[].source_snapshot.module_hash must not be empty"},
		{"code version", func(m *FleetBackupManifest) { m.Fleet.Members[1].SourceSnapshot.CodeVersion = str(" ") }, CodeEmptyField, "field fleet.members[].source_snapshot.code_version must not be empty"},
		{"artifact path", func(m *FleetBackupManifest) { m.Fleet.Members[1].SourceSnapshot.ArtifactPath = "" }, CodeEmptyField, "field fleet.members[].source_snapshot.artifact_path must not be empty"},
		{"checksum algorithm empty", func(m *FleetBackupManifest) { m.Fleet.Members[1].SourceSnapshot.ChecksumAlgorithm = "" }, CodeEmptyField, "field fleet.members[].source_snapshot.checksum_algorithm must not be empty"},
		{"checksum algorithm", func(m *FleetBackupManifest) { m.Fleet.Members[1].SourceSnapshot.ChecksumAlgorithm = "md5" }, CodeUnsupportedHashAlgorithm, "unsupported hash algorithm md5"},
		{"checksum empty", func(m *FleetBackupManifest) { m.Fleet.Members[1].SourceSnapshot.Checksum = str("") }, CodeEmptyField, "field fleet.members[].source_snapshot.checksum must not be empty"},
		{"duplicate canister after member checks", func(m *FleetBackupManifest) {
			m.Fleet.Members[1].CanisterID = rootID
		}, CodeDuplicateCanisterID, "duplicate canister id aaaaa-aa"},
		{"fleet check kind", func(m *FleetBackupManifest) { m.Verification.FleetChecks[0].Kind = "x" }, CodeUnsupportedVerificationKind, "unsupported verification kind x"},
		{"group role", func(m *FleetBackupManifest) {
			m.Verification.MemberChecks = []MemberVerificationChecks{{Role: "", Checks: check}}
		}, CodeEmptyField, "field verification.member_checks[].role must not be empty"},
		{"group checks", func(m *FleetBackupManifest) {
			m.Verification.MemberChecks = []MemberVerificationChecks{{Role: "root"}}
		}, CodeEmptyCollection, "collection verification.member_checks[].checks must not be empty"},
		{"structure before unit roles", func(m *FleetBackupManifest) {
			m.Consistency.BackupUnits[0].Roles = []string{"ghost"}
			m.Verification.FleetChecks[0].Kind = "x"
		}, CodeUnsupportedVerificationKind, "unsupported verification kind x"},
		{"not connected before coverage", func(m *FleetBackupManifest) {
			m.Fleet.Members[1].ParentCanisterID = nil
			m.Consistency.BackupUnits[0].Roles = []string{"app", "root"}
			m.Fleet.Members = append(m.Fleet.Members, member("extra", otherID, nil, IdentityFixed))
		}, CodeSubtreeBackupUnitNotConnected, "subtree backup unit core is not connected"},
		{"coverage in sorted role order", func(m *FleetBackupManifest) {
			m.Fleet.Members = append(m.Fleet.Members, member("zeta", otherID, nil, IdentityFixed), member("alpha", "r7inp-6aaaa-aaaaa-aaabq-cai", nil, IdentityFixed))
		}, CodeBackupUnitCoverageMissingRole, "fleet role alpha is not covered by any backup unit"},
		{"consistency before verification roles", func(m *FleetBackupManifest) {
			m.Consistency.BackupUnits[0].Roles = []string{"root", "app", "ghost"}
			m.Verification.FleetChecks[0].Roles = []string{"ghost2"}
		}, CodeUnknownBackupUnitRole, "backup unit core references unknown role ghost"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := validManifest()
			tc.mutate(m)
			requireCode(t, m, tc.code, tc.msg)
		})
	}
}

func TestUpperCaseHashesAndPrincipalsAreAccepted(t *testing.T) {
	m := validManifest()
	m.Fleet.Members[1].CanisterID = "RENRK-EYAAA-AAAAA-AAADA-CAI"
	m.Fleet.Members[1].SourceSnapshot.Checksum = str("ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789")
	if err := m.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
}
