package manifest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	rootID  = "aaaaa-aa"
	childID = "renrk-eyaaa-aaaaa-aaada-cai"
	otherID = "rno2w-sqaaa-aaaaa-aaacq-cai"
	hashA   = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	hashB   = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
)

func str(s string) *string { return &s }

func member(role, id string, parent *string, mode IdentityMode) FleetMember {
	return FleetMember{
		Role: role, CanisterID: id, ParentCanisterID: parent,
		SubnetCanisterID: str(childID), ControllerHint: str(rootID), IdentityMode: mode,
		VerificationChecks: []VerificationCheck{{Kind: "status", Roles: []string{}}},
		SourceSnapshot: SourceSnapshot{
			SnapshotID: "snap-" + role, ModuleHash: str(hashA), CodeVersion: str("v0.30.0"),
			ArtifactPath: "artifacts/" + role, ChecksumAlgorithm: "sha256", Checksum: str(hashA),
		},
	}
}

// validManifest is a 2-member subtree manifest like 0.35.1's test fixture.
func validManifest() *FleetBackupManifest {
	return &FleetBackupManifest{
		ManifestVersion: 1, BackupID: "fbk_test_001", CreatedAt: "2026-04-10T12:00:00Z",
		Tool:        ToolMetadata{Name: "canic", Version: "v1"},
		Source:      SourceMetadata{Environment: "local", RootCanister: rootID},
		Consistency: ConsistencySection{BackupUnits: []BackupUnit{{UnitID: "core", Kind: UnitSubtree, Roles: []string{"root", "app"}}}},
		Fleet: FleetSection{
			TopologyHashAlgorithm: "sha256", TopologyHashInput: "sorted(pid,parent_pid,role,module_hash)",
			DiscoveryTopologyHash: hashA, PreSnapshotTopologyHash: hashA, TopologyHash: hashA,
			Members: []FleetMember{
				member("root", rootID, nil, IdentityFixed),
				member("app", childID, str(rootID), IdentityRelocatable),
			},
		},
		Verification: VerificationPlan{
			FleetChecks:  []VerificationCheck{{Kind: "status", Roles: []string{}}},
			MemberChecks: []MemberVerificationChecks{},
		},
	}
}

func requireCode(t *testing.T, m *FleetBackupManifest, code Code, msg string) {
	t.Helper()
	err := m.Validate()
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrInvalidManifest)
	assert.Equal(t, code, CodeOf(err), "error: %v", err)
	assert.EqualError(t, err, msg)
}

// §10.6: one row per original test of the manifest module.
func TestManifestChecklist(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(m *FleetBackupManifest)
		code   Code
		msg    string
	}{
		{"valid_manifest_passes_validation", func(*FleetBackupManifest) {}, "", ""},
		{"invalid_snapshot_checksum_fails_validation", func(m *FleetBackupManifest) {
			m.Fleet.Members[0].SourceSnapshot.Checksum = str("not-a-sha")
		}, CodeInvalidHash, "field fleet.members[].source_snapshot.checksum must be a non-empty sha256 hex string"},
		{"topology_hash_mismatch_fails_validation", func(m *FleetBackupManifest) {
			m.Fleet.PreSnapshotTopologyHash = hashB
		}, CodeTopologyHashMismatch, "topology hash mismatch between discovery " + hashA + " and pre-snapshot " + hashB},
		{"missing_member_verification_checks_fail_validation", func(m *FleetBackupManifest) {
			m.Fleet.Members[0].VerificationChecks = []VerificationCheck{}
		}, CodeMissingMemberVerificationChecks, "fleet member aaaaa-aa has no concrete verification checks"},
		{"backup_unit_roles_must_exist_in_fleet", func(m *FleetBackupManifest) {
			m.Consistency.BackupUnits[0].Roles = append(m.Consistency.BackupUnits[0].Roles, "missing-role")
		}, CodeUnknownBackupUnitRole, "backup unit core references unknown role missing-role"},
		{"backup_unit_ids_must_be_unique", func(m *FleetBackupManifest) {
			m.Consistency.BackupUnits = append(m.Consistency.BackupUnits, m.Consistency.BackupUnits[0])
		}, CodeDuplicateBackupUnitID, "duplicate backup unit id core"},
		{"backup_unit_roles_must_be_unique", func(m *FleetBackupManifest) {
			m.Consistency.BackupUnits[0].Roles = []string{"root", "app", "root"}
		}, CodeDuplicateBackupUnitRole, "backup unit core repeats role root"},
		{"every_fleet_role_must_be_covered_by_a_backup_unit", func(m *FleetBackupManifest) {
			m.Consistency.BackupUnits[0] = BackupUnit{UnitID: "root-only", Kind: UnitSingle, Roles: []string{"root"}}
		}, CodeBackupUnitCoverageMissingRole, "fleet role app is not covered by any backup unit"},
		{"fleet_verification_roles_must_exist_in_fleet", func(m *FleetBackupManifest) {
			m.Verification.FleetChecks[0].Roles = []string{"missing-role"}
		}, CodeUnknownVerificationRole, "verification plan references unknown role missing-role"},
		{"member_verification_check_roles_must_exist_in_fleet", func(m *FleetBackupManifest) {
			m.Fleet.Members[0].VerificationChecks[0].Roles = []string{"missing-role"}
		}, CodeUnknownVerificationRole, "verification plan references unknown role missing-role"},
		{"verification_check_roles_must_be_unique", func(m *FleetBackupManifest) {
			m.Verification.FleetChecks[0].Roles = []string{"root", "root"}
		}, CodeDuplicateVerificationCheckRole, "verification check status repeats role root"},
		{"member_verification_group_roles_must_exist_in_fleet", func(m *FleetBackupManifest) {
			m.Verification.MemberChecks = []MemberVerificationChecks{{Role: "missing-role", Checks: []VerificationCheck{{Kind: "status", Roles: []string{}}}}}
		}, CodeUnknownVerificationRole, "verification plan references unknown role missing-role"},
		{"member_verification_group_roles_must_be_unique", func(m *FleetBackupManifest) {
			g := MemberVerificationChecks{Role: "root", Checks: []VerificationCheck{{Kind: "status", Roles: []string{}}}}
			m.Verification.MemberChecks = []MemberVerificationChecks{g, g}
		}, CodeDuplicateMemberVerificationRole, "duplicate member verification role root"},
		{"nested_member_verification_roles_must_exist_in_fleet", func(m *FleetBackupManifest) {
			m.Verification.MemberChecks = []MemberVerificationChecks{{Role: "root", Checks: []VerificationCheck{{Kind: "status", Roles: []string{"missing-role"}}}}}
		}, CodeUnknownVerificationRole, "verification plan references unknown role missing-role"},
		{"subtree_unit_must_be_closed_under_descendants", func(m *FleetBackupManifest) {
			m.Consistency.BackupUnits = []BackupUnit{
				{UnitID: "root-only", Kind: UnitSubtree, Roles: []string{"root"}},
				{UnitID: "app-only", Kind: UnitSingle, Roles: []string{"app"}},
			}
		}, CodeSubtreeBackupUnitMissingDescendant, "subtree backup unit root-only includes parent aaaaa-aa but omits descendant renrk-eyaaa-aaaaa-aaada-cai"},
		{"subtree_unit_must_be_connected", func(m *FleetBackupManifest) {
			m.Fleet.Members = append(m.Fleet.Members, member("worker", otherID, nil, IdentityRelocatable))
			m.Consistency.BackupUnits = []BackupUnit{{UnitID: "apps", Kind: UnitSubtree, Roles: []string{"app", "worker"}}}
		}, CodeSubtreeBackupUnitNotConnected, "subtree backup unit apps is not connected"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := validManifest()
			tc.mutate(m)
			if tc.code == "" {
				require.NoError(t, m.Validate())
				return
			}
			requireCode(t, m, tc.code, tc.msg)
		})
	}
}

// legacy_wasm_hash_field_is_ignored
func TestLegacyWasmHashFieldIsIgnored(t *testing.T) {
	data, err := validManifest().Encode()
	require.NoError(t, err)
	legacy := bytes.Replace(data, []byte(`"snapshot_id": "snap-root",`), []byte(`"snapshot_id": "snap-root", "wasm_hash": "`+hashB+`",`), 1)
	require.NotEqual(t, data, legacy)
	m, err := DecodeValid(legacy)
	require.NoError(t, err)
	assert.Equal(t, hashA, *m.Fleet.Members[0].SourceSnapshot.ModuleHash)
}

// manifest_round_trips_through_json
func TestManifestRoundTripsThroughJSON(t *testing.T) {
	want := validManifest()
	data, err := want.Encode()
	require.NoError(t, err)
	got, err := DecodeValid(data)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	again, err := got.Encode()
	require.NoError(t, err)
	assert.Equal(t, string(data), string(again))
}

func TestInvalidManifestIsNotEncoded(t *testing.T) {
	m := validManifest()
	m.Fleet.DiscoveryTopologyHash = "bad"
	_, err := m.Encode()
	assert.Equal(t, CodeInvalidHash, CodeOf(err))
	assert.EqualError(t, err, "field fleet.discovery_topology_hash must be a non-empty sha256 hex string")
}

// Every manifest golden decodes, validates and re-encodes byte-identical.
func TestGoldenManifestsRoundTrip(t *testing.T) {
	for _, rel := range []string{
		"backup/fleet-backup-manifest.json",
		"backup/extra/snapshot-download.fleet-backup-manifest.json",
	} {
		t.Run(rel, func(t *testing.T) {
			data := golden.Read(t, rel)
			m, err := DecodeValid(data)
			require.NoError(t, err)
			out, err := m.Encode()
			require.NoError(t, err)
			assert.Equal(t, string(data), string(out))
			assert.True(t, m.RestoreReadiness().Ready)
		})
	}
}

func TestGoldenValidationSummary(t *testing.T) {
	m, err := DecodeValid(golden.Read(t, "backup/fleet-backup-manifest.json"))
	require.NoError(t, err)
	out, err := wire.MarshalPretty(m.Summary())
	require.NoError(t, err)
	want := golden.Read(t, "backup/extra/manifest-validation-summary.json")
	assert.Equal(t, strings.TrimRight(string(want), "\n"), string(out))
}

func TestRestoreReadinessNamesGaps(t *testing.T) {
	m := validManifest()
	m.Fleet.Members[1].SourceSnapshot.Checksum = nil
	m.Fleet.Members[0].VerificationChecks = nil
	r := m.RestoreReadiness()
	assert.False(t, r.Ready)
	assert.Equal(t, []ReadinessProblem{
		{CanisterID: rootID, Reason: ReasonMissingVerificationChecks},
		{CanisterID: childID, Reason: ReasonMissingChecksum},
	}, r.Problems)
}
