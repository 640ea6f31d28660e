package manifest

// ReadinessProblem names one member that a restore could not use as is.
type ReadinessProblem struct {
	// CanisterID is the member.
	CanisterID string `json:"canister_id"`
	// Reason says what is missing.
	Reason string `json:"reason"`
}

// Readiness is the restore-readiness (design conformance) verdict on a
// manifest: a restore needs every member to carry an artifact checksum and
// at least one verification check (reference §5.6). 0.35.1 has no such
// report on the backup side; it is computed here so `backup inspect` and
// restore planning can say up front what would block a restore.
type Readiness struct {
	// Ready is true when Problems is empty.
	Ready bool `json:"ready"`
	// Problems lists every blocking gap, in member order.
	Problems []ReadinessProblem `json:"problems"`
}

// Readiness reasons.
const (
	ReasonMissingChecksum           = "source_snapshot.checksum is missing"
	ReasonMissingVerificationChecks = "verification_checks is empty"
)

// RestoreReadiness reports whether every member of m can be restored and
// verified: each needs source_snapshot.checksum and non-empty
// verification_checks.
func (m *FleetBackupManifest) RestoreReadiness() Readiness {
	r := Readiness{Problems: []ReadinessProblem{}}
	for _, mem := range m.Fleet.Members {
		if mem.SourceSnapshot.Checksum == nil {
			r.Problems = append(r.Problems, ReadinessProblem{CanisterID: mem.CanisterID, Reason: ReasonMissingChecksum})
		}
		if len(mem.VerificationChecks) == 0 {
			r.Problems = append(r.Problems, ReadinessProblem{CanisterID: mem.CanisterID, Reason: ReasonMissingVerificationChecks})
		}
	}
	r.Ready = len(r.Problems) == 0
	return r
}
