package manifest

import "sort"

// subtreeRule checks that the members selected by a subtree unit's roles
// form one connected subtree (exactly one member whose parent is absent or
// outside the unit) that is closed under descendants (no member outside the
// unit has an ancestor inside it).
func subtreeRule(u *BackupUnit, f *FleetSection) error {
	unitRoles := make(map[string]bool, len(u.Roles))
	for _, r := range u.Roles {
		unitRoles[r] = true
	}
	byID := make(map[string]*FleetMember, len(f.Members))
	inUnit := make(map[string]bool, len(f.Members))
	for i := range f.Members {
		m := &f.Members[i]
		if _, ok := byID[m.CanisterID]; !ok {
			byID[m.CanisterID] = m
		}
		if unitRoles[m.Role] {
			inUnit[m.CanisterID] = true
		}
	}
	roots := 0
	for i := range f.Members {
		m := &f.Members[i]
		if inUnit[m.CanisterID] && (m.ParentCanisterID == nil || !inUnit[*m.ParentCanisterID]) {
			roots++
		}
	}
	if roots != 1 {
		return &ValidationError{Code: CodeSubtreeBackupUnitNotConnected, UnitID: u.UnitID}
	}
	for i := range f.Members {
		m := &f.Members[i]
		if inUnit[m.CanisterID] {
			continue
		}
		if parent, ok := firstUnitAncestor(m, byID, inUnit); ok {
			return &ValidationError{Code: CodeSubtreeBackupUnitMissingDescendant, UnitID: u.UnitID, Expected: parent, Actual: m.CanisterID}
		}
	}
	return nil
}

// firstUnitAncestor walks m's ancestor chain (stopping at an unknown or
// repeated id) and returns the first ancestor inside the unit.
func firstUnitAncestor(m *FleetMember, byID map[string]*FleetMember, inUnit map[string]bool) (string, bool) {
	visited := map[string]bool{}
	parent := m.ParentCanisterID
	for parent != nil {
		id := *parent
		if inUnit[id] {
			return id, true
		}
		if visited[id] {
			return "", false
		}
		visited[id] = true
		anc, ok := byID[id]
		if !ok {
			return "", false
		}
		parent = anc.ParentCanisterID
	}
	return "", false
}

func sortedKeys(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
