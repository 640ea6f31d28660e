package manifest

import (
	"strings"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/principal"
)

// Validate checks every rule of 0.35.1's FleetBackupManifest::validate in
// its evaluation order and returns the first failure as a *ValidationError.
func (m *FleetBackupManifest) Validate() error {
	if m.ManifestVersion != Version {
		return &ValidationError{Code: CodeUnsupportedManifestVersion, Version: m.ManifestVersion}
	}
	if err := nonempty("backup_id", m.BackupID); err != nil {
		return err
	}
	if err := nonempty("created_at", m.CreatedAt); err != nil {
		return err
	}
	if err := nonempty("tool.name", m.Tool.Name); err != nil {
		return err
	}
	if err := nonempty("tool.version", m.Tool.Version); err != nil {
		return err
	}
	if err := nonempty("source.environment", m.Source.Environment); err != nil {
		return err
	}
	if err := validatePrincipal("source.root_canister", m.Source.RootCanister); err != nil {
		return err
	}
	if err := m.Consistency.validate(); err != nil {
		return err
	}
	if err := m.Fleet.validate(); err != nil {
		return err
	}
	if err := m.Verification.validate(); err != nil {
		return err
	}
	if err := consistencyAgainstFleet(&m.Consistency, &m.Fleet); err != nil {
		return err
	}
	return verificationAgainstFleet(&m.Verification, &m.Fleet)
}

func (c *ConsistencySection) validate() error {
	if len(c.BackupUnits) == 0 {
		return &ValidationError{Code: CodeEmptyCollection, Field: "consistency.backup_units"}
	}
	ids := make(map[string]bool, len(c.BackupUnits))
	for i := range c.BackupUnits {
		u := &c.BackupUnits[i]
		if err := u.validate(); err != nil {
			return err
		}
		if ids[u.UnitID] {
			return &ValidationError{Code: CodeDuplicateBackupUnitID, UnitID: u.UnitID, Value: u.UnitID}
		}
		ids[u.UnitID] = true
	}
	return nil
}

func (u *BackupUnit) validate() error {
	if err := nonempty("consistency.backup_units[].unit_id", u.UnitID); err != nil {
		return err
	}
	if len(u.Roles) == 0 {
		return &ValidationError{Code: CodeEmptyCollection, Field: "consistency.backup_units[].roles"}
	}
	for _, r := range u.Roles {
		if err := nonempty("consistency.backup_units[].roles[]", r); err != nil {
			return err
		}
	}
	if dup, ok := firstDuplicate(u.Roles); ok {
		return &ValidationError{Code: CodeDuplicateBackupUnitRole, UnitID: u.UnitID, Value: dup}
	}
	return nil
}

func (f *FleetSection) validate() error {
	if err := nonempty("fleet.topology_hash_algorithm", f.TopologyHashAlgorithm); err != nil {
		return err
	}
	if f.TopologyHashAlgorithm != SHA256 {
		return &ValidationError{Code: CodeUnsupportedHashAlgorithm, Value: f.TopologyHashAlgorithm}
	}
	if err := nonempty("fleet.topology_hash_input", f.TopologyHashInput); err != nil {
		return err
	}
	for _, h := range []struct{ field, value string }{
		{"fleet.discovery_topology_hash", f.DiscoveryTopologyHash},
		{"fleet.pre_snapshot_topology_hash", f.PreSnapshotTopologyHash},
		{"fleet.topology_hash", f.TopologyHash},
	} {
		if err := hash64(h.field, h.value); err != nil {
			return err
		}
	}
	if f.DiscoveryTopologyHash != f.PreSnapshotTopologyHash {
		return &ValidationError{Code: CodeTopologyHashMismatch, Expected: f.DiscoveryTopologyHash, Actual: f.PreSnapshotTopologyHash}
	}
	if f.TopologyHash != f.DiscoveryTopologyHash {
		return &ValidationError{Code: CodeAcceptedTopologyHashMismatch, Expected: f.DiscoveryTopologyHash, Actual: f.TopologyHash}
	}
	if len(f.Members) == 0 {
		return &ValidationError{Code: CodeEmptyCollection, Field: "fleet.members"}
	}
	ids := make(map[string]bool, len(f.Members))
	for i := range f.Members {
		mem := &f.Members[i]
		if err := mem.validate(); err != nil {
			return err
		}
		if ids[mem.CanisterID] {
			return &ValidationError{Code: CodeDuplicateCanisterID, Value: mem.CanisterID}
		}
		ids[mem.CanisterID] = true
	}
	return nil
}

func (mem *FleetMember) validate() error {
	if err := nonempty("fleet.members[].role", mem.Role); err != nil {
		return err
	}
	if err := validatePrincipal("fleet.members[].canister_id", mem.CanisterID); err != nil {
		return err
	}
	for _, p := range []struct {
		field string
		value *string
	}{
		{"fleet.members[].parent_canister_id", mem.ParentCanisterID},
		{"fleet.members[].subnet_canister_id", mem.SubnetCanisterID},
		{"fleet.members[].controller_hint", mem.ControllerHint},
	} {
		if p.value != nil {
			if err := validatePrincipal(p.field, *p.value); err != nil {
				return err
			}
		}
	}
	if len(mem.VerificationChecks) == 0 {
		return &ValidationError{Code: CodeMissingMemberVerificationChecks, Value: mem.CanisterID}
	}
	for i := range mem.VerificationChecks {
		if err := mem.VerificationChecks[i].validate(); err != nil {
			return err
		}
	}
	return mem.SourceSnapshot.validate()
}

func (s *SourceSnapshot) validate() error {
	const prefix = "fleet.members[].source_snapshot."
	if err := nonempty(prefix+"snapshot_id", s.SnapshotID); err != nil {
		return err
	}
	if s.ModuleHash != nil {
		if err := nonempty(prefix+"module_hash", *s.ModuleHash); err != nil {
			return err
		}
	}
	if s.CodeVersion != nil {
		if err := nonempty(prefix+"code_version", *s.CodeVersion); err != nil {
			return err
		}
	}
	if err := nonempty(prefix+"artifact_path", s.ArtifactPath); err != nil {
		return err
	}
	if err := nonempty(prefix+"checksum_algorithm", s.ChecksumAlgorithm); err != nil {
		return err
	}
	if s.ChecksumAlgorithm != SHA256 {
		return &ValidationError{Code: CodeUnsupportedHashAlgorithm, Value: s.ChecksumAlgorithm}
	}
	if s.Checksum != nil {
		return hash64(prefix+"checksum", *s.Checksum)
	}
	return nil
}

func (v *VerificationPlan) validate() error {
	for i := range v.FleetChecks {
		if err := v.FleetChecks[i].validate(); err != nil {
			return err
		}
	}
	for i := range v.MemberChecks {
		g := &v.MemberChecks[i]
		if err := nonempty("verification.member_checks[].role", g.Role); err != nil {
			return err
		}
		if len(g.Checks) == 0 {
			return &ValidationError{Code: CodeEmptyCollection, Field: "verification.member_checks[].checks"}
		}
		for j := range g.Checks {
			if err := g.Checks[j].validate(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *VerificationCheck) validate() error {
	if err := nonempty("verification.check.kind", c.Kind); err != nil {
		return err
	}
	if c.Kind != StatusCheckKind {
		return &ValidationError{Code: CodeUnsupportedVerificationKind, Value: c.Kind}
	}
	for _, r := range c.Roles {
		if err := nonempty("verification.check.roles[]", r); err != nil {
			return err
		}
	}
	if dup, ok := firstDuplicate(c.Roles); ok {
		return &ValidationError{Code: CodeDuplicateVerificationCheckRole, Kind: c.Kind, Value: dup}
	}
	return nil
}

// fleetRoles returns the set of member roles.
func fleetRoles(f *FleetSection) map[string]bool {
	roles := make(map[string]bool, len(f.Members))
	for i := range f.Members {
		roles[f.Members[i].Role] = true
	}
	return roles
}

func consistencyAgainstFleet(c *ConsistencySection, f *FleetSection) error {
	roles := fleetRoles(f)
	covered := make(map[string]bool, len(roles))
	for i := range c.BackupUnits {
		u := &c.BackupUnits[i]
		for _, r := range u.Roles {
			if !roles[r] {
				return &ValidationError{Code: CodeUnknownBackupUnitRole, UnitID: u.UnitID, Value: r}
			}
			covered[r] = true
		}
		if u.Kind == UnitSubtree {
			if err := subtreeRule(u, f); err != nil {
				return err
			}
		}
	}
	for _, r := range sortedKeys(roles) {
		if !covered[r] {
			return &ValidationError{Code: CodeBackupUnitCoverageMissingRole, Value: r}
		}
	}
	return nil
}

func verificationAgainstFleet(v *VerificationPlan, f *FleetSection) error {
	roles := fleetRoles(f)
	checkRoles := func(c *VerificationCheck) error {
		for _, r := range c.Roles {
			if !roles[r] {
				return &ValidationError{Code: CodeUnknownVerificationRole, Value: r}
			}
		}
		return nil
	}
	for i := range v.FleetChecks {
		if err := checkRoles(&v.FleetChecks[i]); err != nil {
			return err
		}
	}
	for i := range f.Members {
		for j := range f.Members[i].VerificationChecks {
			if err := checkRoles(&f.Members[i].VerificationChecks[j]); err != nil {
				return err
			}
		}
	}
	seen := make(map[string]bool, len(v.MemberChecks))
	for i := range v.MemberChecks {
		g := &v.MemberChecks[i]
		if !roles[g.Role] {
			return &ValidationError{Code: CodeUnknownVerificationRole, Value: g.Role}
		}
		if seen[g.Role] {
			return &ValidationError{Code: CodeDuplicateMemberVerificationRole, Value: g.Role}
		}
		seen[g.Role] = true
		for j := range g.Checks {
			if err := checkRoles(&g.Checks[j]); err != nil {
				return err
			}
		}
	}
	return nil
}

// blank reports whether s is empty after trimming Unicode white space, the
// test 0.35.1 applies to every "nonempty" field.
func blank(s string) bool { return strings.TrimSpace(s) == "" }

func nonempty(field, value string) error {
	if blank(value) {
		return &ValidationError{Code: CodeEmptyField, Field: field}
	}
	return nil
}

func validatePrincipal(field, value string) error {
	if err := nonempty(field, value); err != nil {
		return err
	}
	if !principal.Valid(value) {
		return &ValidationError{Code: CodeInvalidPrincipal, Field: field, Value: value}
	}
	return nil
}

func hash64(field, value string) error {
	if err := nonempty(field, value); err != nil {
		return err
	}
	if !checksum.IsHex64(value) {
		return &ValidationError{Code: CodeInvalidHash, Field: field, Value: value}
	}
	return nil
}

func firstDuplicate(values []string) (string, bool) {
	seen := make(map[string]bool, len(values))
	for _, v := range values {
		if seen[v] {
			return v, true
		}
		seen[v] = true
	}
	return "", false
}
