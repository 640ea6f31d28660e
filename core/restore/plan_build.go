package restore

import (
	"github.com/canic-backup/canic-backup/core/manifest"
)

// BuildPlan builds the restore plan of a manifest, in place (mapping nil) or
// onto the targets of a complete mapping. The steps and the error that wins
// follow 0.35.1 §2.1: manifest validation, mapping validation, member
// resolution, summaries, ordering.
func BuildPlan(m *manifest.FleetBackupManifest, mapping *Mapping) (*Plan, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if mapping != nil {
		if err := mapping.validate(); err != nil {
			return nil, err
		}
		if err := validateMappingSources(m, mapping); err != nil {
			return nil, err
		}
	}
	members, err := resolveMembers(m, mapping)
	if err != nil {
		return nil, err
	}
	p := &Plan{
		BackupID:                m.BackupID,
		SourceEnvironment:       m.Source.Environment,
		SourceRootCanister:      m.Source.RootCanister,
		TopologyHash:            m.Fleet.TopologyHash,
		MemberCount:             len(m.Fleet.Members),
		IdentitySummary:         identitySummary(members, mapping != nil),
		SnapshotSummary:         snapshotSummary(members),
		VerificationSummary:     verificationSummary(m, members),
		FleetVerificationChecks: cloneChecks(m.Verification.FleetChecks),
	}
	p.ReadinessSummary = readinessSummary(p.SnapshotSummary, p.VerificationSummary)
	ordered, err := orderMembers(members)
	if err != nil {
		return nil, err
	}
	p.Members = ordered
	p.OrderingSummary = orderingSummary(ordered)
	n := len(m.Fleet.Members)
	total := p.VerificationSummary.TotalChecks
	p.OperationSummary = OperationSummary{
		PlannedCanisterStops:      n,
		PlannedCanisterStarts:     n,
		PlannedSnapshotUploads:    n,
		PlannedSnapshotLoads:      n,
		PlannedVerificationChecks: total,
		PlannedOperations:         4*n + total,
	}
	return p, nil
}

func validateMappingSources(m *manifest.FleetBackupManifest, mapping *Mapping) error {
	known := map[string]bool{}
	for _, mem := range m.Fleet.Members {
		c, _ := canonical(mem.CanisterID)
		known[c] = true
	}
	for _, e := range mapping.Members {
		if c, _ := canonical(e.SourceCanister); !known[c] {
			return newError(CodeUnknownMappingSource, "mapping references unknown source canister %s", e.SourceCanister).
				withField("mapping.members[].source_canister", e.SourceCanister)
		}
	}
	return nil
}

func resolveMembers(m *manifest.FleetBackupManifest, mapping *Mapping) ([]PlanMember, error) {
	used := map[string]bool{}
	targetOf := map[string]string{}
	out := make([]PlanMember, 0, len(m.Fleet.Members))
	for _, mem := range m.Fleet.Members {
		target := mem.CanisterID
		if mapping != nil {
			t, ok := mapping.targetFor(mem.CanisterID)
			if !ok {
				return nil, newError(CodeMissingMappingSource, "mapping is missing source canister %s", mem.CanisterID).
					withField("mapping.members[].source_canister", mem.CanisterID)
			}
			target = t
		}
		if mem.IdentityMode == manifest.IdentityFixed && !samePrincipal(target, mem.CanisterID) {
			return nil, newError(CodeFixedIdentityRemap, "fixed-identity member %s cannot be mapped to %s", mem.CanisterID, target).
				withField("fleet.members[].canister_id", mem.CanisterID)
		}
		key, _ := canonical(target)
		if used[key] {
			return nil, newError(CodeDuplicateTarget, "restore plan contains duplicate target canister %s", target)
		}
		used[key] = true
		src, _ := canonical(mem.CanisterID)
		targetOf[src] = target
		out = append(out, PlanMember{
			SourceCanister:       mem.CanisterID,
			TargetCanister:       target,
			Role:                 mem.Role,
			ParentSourceCanister: cloneStr(mem.ParentCanisterID),
			IdentityMode:         mem.IdentityMode,
			VerificationChecks:   concreteChecks(m, mem),
			SourceSnapshot:       cloneSnapshot(mem.SourceSnapshot),
		})
	}
	for i := range out {
		if out[i].ParentSourceCanister == nil {
			continue
		}
		key, _ := canonical(*out[i].ParentSourceCanister)
		if t, ok := targetOf[key]; ok {
			out[i].ParentTargetCanister = &t
		}
	}
	return out, nil
}

func samePrincipal(a, b string) bool {
	ca, okA := canonical(a)
	cb, okB := canonical(b)
	return okA && okB && ca == cb
}

// concreteChecks is the member's own checks plus its role group's checks,
// each kept only when it applies to the member's role.
func concreteChecks(m *manifest.FleetBackupManifest, mem manifest.FleetMember) []manifest.VerificationCheck {
	out := []manifest.VerificationCheck{}
	for _, c := range mem.VerificationChecks {
		if appliesTo(c, mem.Role) {
			out = append(out, cloneCheck(c))
		}
	}
	for _, g := range m.Verification.MemberChecks {
		if g.Role != mem.Role {
			continue
		}
		for _, c := range g.Checks {
			if appliesTo(c, mem.Role) {
				out = append(out, cloneCheck(c))
			}
		}
	}
	return out
}

func appliesTo(c manifest.VerificationCheck, role string) bool {
	if len(c.Roles) == 0 {
		return true
	}
	for _, r := range c.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// orderMembers is 0.35.1's stable "first ready in input order" topological
// sort: a member is emitted once its parent is absent, outside the backup,
// or already emitted.
func orderMembers(members []PlanMember) ([]PlanMember, error) {
	group := map[string]bool{}
	for _, m := range members {
		group[m.SourceCanister] = true
	}
	remaining := append([]PlanMember(nil), members...)
	emitted := map[string]bool{}
	out := make([]PlanMember, 0, len(members))
	for len(remaining) > 0 {
		idx := -1
		for i, m := range remaining {
			p := m.ParentSourceCanister
			if p == nil || !group[*p] || emitted[*p] {
				idx = i
				break
			}
		}
		if idx < 0 {
			return nil, newError(CodeOrderCycle, "restore plan contains a parent cycle or unresolved dependency")
		}
		m := remaining[idx]
		remaining = append(remaining[:idx], remaining[idx+1:]...)
		m.MemberOrder = len(out)
		if m.ParentSourceCanister != nil && m.ParentTargetCanister != nil {
			m.OrderingDependency = &OrderingDependency{
				SourceCanister: *m.ParentSourceCanister,
				TargetCanister: *m.ParentTargetCanister,
				Relationship:   ParentBeforeChild,
			}
		}
		emitted[m.SourceCanister] = true
		out = append(out, m)
	}
	return out, nil
}

func identitySummary(members []PlanMember, mappingSupplied bool) IdentitySummary {
	s := IdentitySummary{MappingSupplied: mappingSupplied}
	for _, m := range members {
		if m.IdentityMode == manifest.IdentityFixed {
			s.FixedMembers++
		} else {
			s.RelocatableMembers++
		}
		if samePrincipal(m.SourceCanister, m.TargetCanister) {
			s.InPlaceMembers++
		} else {
			s.RemappedMembers++
		}
	}
	if mappingSupplied {
		s.MappedMembers = len(members)
	}
	s.AllSourcesMapped = mappingSupplied && s.MappedMembers == len(members)
	return s
}

func snapshotSummary(members []PlanMember) SnapshotSummary {
	var s SnapshotSummary
	for _, m := range members {
		if m.SourceSnapshot.ModuleHash != nil {
			s.MembersWithModuleHash++
		}
		if m.SourceSnapshot.CodeVersion != nil {
			s.MembersWithCodeVersion++
		}
		if m.SourceSnapshot.Checksum != nil {
			s.MembersWithChecksum++
		}
	}
	n := len(members)
	s.AllMembersHaveModuleHash = s.MembersWithModuleHash == n
	s.AllMembersHaveCodeVersion = s.MembersWithCodeVersion == n
	s.AllMembersHaveChecksum = s.MembersWithChecksum == n
	return s
}

func verificationSummary(m *manifest.FleetBackupManifest, members []PlanMember) VerificationSummary {
	s := VerificationSummary{
		VerificationRequired: true,
		FleetChecks:          len(m.Verification.FleetChecks),
		MemberCheckGroups:    len(m.Verification.MemberChecks),
	}
	for _, mem := range members {
		s.MemberChecks += len(mem.VerificationChecks)
		if len(mem.VerificationChecks) > 0 {
			s.MembersWithChecks++
		}
	}
	s.AllMembersHaveChecks = s.MembersWithChecks == len(members)
	s.TotalChecks = s.FleetChecks + s.MemberChecks
	return s
}

func readinessSummary(snap SnapshotSummary, ver VerificationSummary) ReadinessSummary {
	reasons := []string{}
	if !snap.AllMembersHaveChecksum {
		reasons = append(reasons, ReasonMissingSnapshotChecksum)
	}
	if !ver.AllMembersHaveChecks {
		reasons = append(reasons, ReasonMissingVerificationChecks)
	}
	return ReadinessSummary{Ready: len(reasons) == 0, Reasons: reasons}
}

func orderingSummary(members []PlanMember) OrderingSummary {
	s := OrderingSummary{OrderedMembers: len(members)}
	for _, m := range members {
		if m.OrderingDependency != nil {
			s.ParentEdges++
		} else {
			s.DependencyFreeMembers++
		}
	}
	return s
}

func cloneStr(p *string) *string {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneCheck(c manifest.VerificationCheck) manifest.VerificationCheck {
	return manifest.VerificationCheck{Kind: c.Kind, Roles: append([]string{}, c.Roles...)}
}

func cloneChecks(cs []manifest.VerificationCheck) []manifest.VerificationCheck {
	out := make([]manifest.VerificationCheck, 0, len(cs))
	for _, c := range cs {
		out = append(out, cloneCheck(c))
	}
	return out
}

func cloneSnapshot(s manifest.SourceSnapshot) manifest.SourceSnapshot {
	s.ModuleHash = cloneStr(s.ModuleHash)
	s.CodeVersion = cloneStr(s.CodeVersion)
	s.Checksum = cloneStr(s.Checksum)
	return s
}
