package manifest

// ValidationSummary is what `manifest validate` prints for a valid manifest.
// 0.35.1 builds it as a serde_json map, so keys come out sorted; the fields
// here are declared in that sorted order.
type ValidationSummary struct {
	// BackupID is the manifest's backup id.
	BackupID string `json:"backup_id"`
	// BackupUnitCount is the number of backup units.
	BackupUnitCount int `json:"backup_unit_count"`
	// BackupUnitKinds counts units per kind.
	BackupUnitKinds UnitKindCounts `json:"backup_unit_kinds"`
	// BackupUnits summarises each unit.
	BackupUnits []UnitSummary `json:"backup_units"`
	// Members is the number of fleet members.
	Members int `json:"members"`
	// Status is always "valid".
	Status string `json:"status"`
	// TopologyHash is copied from the fleet section.
	TopologyHash string `json:"topology_hash"`
	// TopologyHashAlgorithm is copied from the fleet section.
	TopologyHashAlgorithm string `json:"topology_hash_algorithm"`
	// TopologyHashInput is copied from the fleet section.
	TopologyHashInput string `json:"topology_hash_input"`
	// TopologyValidationStatus is always "validated".
	TopologyValidationStatus string `json:"topology_validation_status"`
}

// UnitKindCounts counts backup units per kind.
type UnitKindCounts struct {
	// Single counts units of kind single.
	Single int `json:"single"`
	// Subtree counts units of kind subtree.
	Subtree int `json:"subtree"`
}

// UnitSummary summarises one backup unit (sorted keys).
type UnitSummary struct {
	// Kind is "single" or "subtree".
	Kind BackupUnitKind `json:"kind"`
	// RoleCount is the number of roles in the unit.
	RoleCount int `json:"role_count"`
	// UnitID is the unit's id.
	UnitID string `json:"unit_id"`
}

// Summary returns the validation summary of m. Call it after Validate.
func (m *FleetBackupManifest) Summary() ValidationSummary {
	s := ValidationSummary{
		BackupID:                 m.BackupID,
		BackupUnitCount:          len(m.Consistency.BackupUnits),
		BackupUnits:              make([]UnitSummary, 0, len(m.Consistency.BackupUnits)),
		Members:                  len(m.Fleet.Members),
		Status:                   "valid",
		TopologyHash:             m.Fleet.TopologyHash,
		TopologyHashAlgorithm:    m.Fleet.TopologyHashAlgorithm,
		TopologyHashInput:        m.Fleet.TopologyHashInput,
		TopologyValidationStatus: "validated",
	}
	for _, u := range m.Consistency.BackupUnits {
		switch u.Kind {
		case UnitSingle:
			s.BackupUnitKinds.Single++
		case UnitSubtree:
			s.BackupUnitKinds.Subtree++
		}
		s.BackupUnits = append(s.BackupUnits, UnitSummary{Kind: u.Kind, RoleCount: len(u.Roles), UnitID: u.UnitID})
	}
	return s
}
