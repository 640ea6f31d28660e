package plan

import (
	"strings"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/principal"
	"github.com/canic-backup/canic-backup/core/timestamp"
)

// Validate checks the plan as a planning/dry-run document (reference §3.7),
// in 0.35.1's order; the first failure is returned as *Error.
func (p *BackupPlan) Validate() error {
	for _, f := range []struct{ name, value string }{
		{"plan_id", p.PlanID}, {"run_id", p.RunID}, {"fleet", p.Fleet}, {"network", p.Network},
	} {
		if err := nonempty(f.name, f.value); err != nil {
			return err
		}
	}
	if err := validPrincipal("root_canister_id", p.RootCanisterID); err != nil {
		return err
	}
	if err := optionalPrincipal("selected_subtree_root", p.SelectedSubtreeRoot); err != nil {
		return err
	}
	if err := nonempty("topology_hash_before_quiesce", p.TopologyHashBeforeQuiesce); err != nil {
		return err
	}
	if err := p.validateRootScope(); err != nil {
		return err
	}
	if err := p.validateTargets(); err != nil {
		return err
	}
	if err := p.validateSelectedScope(); err != nil {
		return err
	}
	return validatePhaseOrder(p.Phases)
}

// ValidateForExecution is Validate plus, per target in order: proven control
// authority, proven snapshot-read authority, and a proven root controller
// for non-root targets when the plan requires one.
func (p *BackupPlan) ValidateForExecution() error {
	if err := p.Validate(); err != nil {
		return err
	}
	for _, t := range p.Targets {
		if !t.ControlAuthority.IsProven() {
			return errCanister(ErrUnprovenControlAuthority, fmtUnprovenControl, t.CanisterID)
		}
		if !t.SnapshotReadAuthority.IsProven() {
			return errCanister(ErrUnprovenSnapshotReadAuthority, fmtUnprovenRead, t.CanisterID)
		}
		if p.RequiresRootController && t.CanisterID != p.RootCanisterID && !t.ControlAuthority.IsProvenRootController() {
			return errCanister(ErrMissingRootController, fmtMissingRootController, t.CanisterID)
		}
	}
	return nil
}

func (p *BackupPlan) validateRootScope() error {
	if p.SelectedScopeKind == ScopeMaintenanceRoot {
		if p.RootIncluded {
			return nil
		}
		return errSimple(ErrMaintenanceRootExcludesRoot)
	}
	if p.RootIncluded {
		return errSimple(ErrRootIncludedWithoutMaintenance)
	}
	return nil
}

func (p *BackupPlan) validateTargets() error {
	if len(p.Targets) == 0 {
		return errSimple(ErrEmptyTargets)
	}
	ids := make(map[string]bool, len(p.Targets))
	for _, t := range p.Targets {
		if err := validPrincipal("targets[].canister_id", t.CanisterID); err != nil {
			return err
		}
		if err := optionalPrincipal("targets[].parent_canister_id", t.ParentCanisterID); err != nil {
			return err
		}
		if err := optionalNonempty("targets[].role", t.Role); err != nil {
			return err
		}
		if err := optionalNonempty("targets[].expected_module_hash", t.ExpectedModuleHash); err != nil {
			return err
		}
		if err := validateControlAuthority(t.ControlAuthority); err != nil {
			return err
		}
		if ids[t.CanisterID] {
			return errCanister(ErrDuplicateTarget, fmtDuplicateTarget, t.CanisterID)
		}
		ids[t.CanisterID] = true
		if !p.RootIncluded && t.CanisterID == p.RootCanisterID {
			return errSimple(ErrRootIncludedWithoutMaintenance)
		}
	}
	return validateOperationTargets(p.Phases, ids)
}

func validateControlAuthority(a ControlAuthority) error {
	if a.Source.Kind != ControlAlternateController {
		return nil
	}
	if err := validPrincipal("targets[].control_authority.controller", a.Source.Controller); err != nil {
		return err
	}
	return nonempty("targets[].control_authority.reason", a.Source.Reason)
}

func validateOperationTargets(phases []BackupOperation, targets map[string]bool) error {
	if len(phases) == 0 {
		return errSimple(ErrEmptyPhases)
	}
	ids := make(map[string]bool, len(phases))
	for i, ph := range phases {
		if err := nonempty("phases[].operation_id", ph.OperationID); err != nil {
			return err
		}
		expected := uint32(i)
		if i > int(^uint32(0)) {
			expected = ^uint32(0)
		}
		if ph.Order != expected {
			return errOrderMismatch(ph.OperationID, ph.Order, expected)
		}
		if ids[ph.OperationID] {
			return errCanister(ErrDuplicateOperationID, fmtDuplicateOperationID, ph.OperationID)
		}
		ids[ph.OperationID] = true
		if ph.TargetCanisterID != nil {
			if err := validPrincipal("phases[].target_canister_id", *ph.TargetCanisterID); err != nil {
				return err
			}
			if !targets[*ph.TargetCanisterID] {
				return errUnknownOperationTarget(ph.OperationID, *ph.TargetCanisterID)
			}
		}
	}
	return nil
}

func (p *BackupPlan) validateSelectedScope() error {
	if p.SelectedScopeKind == ScopeNonRootFleet {
		if p.SelectedSubtreeRoot != nil {
			return errSimple(ErrNonRootFleetHasSelectedRoot)
		}
		return nil
	}
	if p.SelectedSubtreeRoot == nil {
		return errEmptyField("selected_subtree_root")
	}
	for _, t := range p.Targets {
		if t.CanisterID == *p.SelectedSubtreeRoot {
			return nil
		}
	}
	return errCanister(ErrSelectedRootNotInTargets, fmtSelectedRootNotTargets, *p.SelectedSubtreeRoot)
}

func validatePhaseOrder(phases []BackupOperation) error {
	cutoff := 0
	for _, pre := range []struct {
		kind  BackupOperationKind
		label string
	}{
		{OpValidateTopology, "topology"},
		{OpValidateControlAuthority, "control_authority"},
		{OpValidateSnapshotReadAuthority, "snapshot_read_authority"},
		{OpValidateQuiescencePolicy, "quiescence_policy"},
	} {
		pos := -1
		for i, ph := range phases {
			if ph.Kind == pre.kind {
				pos = i
				break
			}
		}
		if pos < 0 {
			return errMissingPreflight(pre.label)
		}
		cutoff = max(cutoff, pos)
	}
	for i := 0; i < cutoff; i++ {
		if phases[i].Kind.IsPlanMutation() {
			return errMutationBeforePreflight(phases[i].OperationID)
		}
	}
	return nil
}

func nonempty(field, value string) error {
	if strings.TrimSpace(value) == "" {
		return errEmptyField(field)
	}
	return nil
}

func optionalNonempty(field string, value *string) error {
	if value == nil {
		return nil
	}
	return nonempty(field, *value)
}

func validPrincipal(field, value string) error {
	if !principal.Valid(value) {
		return errInvalidPrincipal(field, value)
	}
	return nil
}

func optionalPrincipal(field string, value *string) error {
	if value == nil {
		return nil
	}
	return validPrincipal(field, *value)
}

// requiredHash checks a 64-character hex topology hash (either case).
func requiredHash(field, value string) error {
	if err := nonempty(field, value); err != nil {
		return err
	}
	if !checksum.IsHex64(value) {
		return errInvalidTopologyHash(field, value)
	}
	return nil
}

func preflightTimestamp(field, value string) (uint64, error) {
	if err := nonempty(field, value); err != nil {
		return 0, err
	}
	n, err := timestamp.ParseMarker(value)
	if err != nil {
		return 0, errInvalidTimestamp(field, value)
	}
	return n, nil
}

// validateWindow checks validated_at <= as_of < expires_at.
func validateWindow(preflightID, validatedAt, expiresAt, asOf string) error {
	v, err := preflightTimestamp("preflight_receipts[].validated_at", validatedAt)
	if err != nil {
		return err
	}
	e, err := preflightTimestamp("preflight_receipts[].expires_at", expiresAt)
	if err != nil {
		return err
	}
	a, err := preflightTimestamp("preflight_receipts.as_of", asOf)
	if err != nil {
		return err
	}
	if v >= e {
		return errInvalidWindow(preflightID)
	}
	if a < v {
		return errNotYetValid(preflightID, validatedAt, asOf)
	}
	if a >= e {
		return errExpired(preflightID, expiresAt, asOf)
	}
	return nil
}
