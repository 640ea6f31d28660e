package plan

// ApplyExecutionPreflightReceipts checks the bundle header and window,
// applies its control and snapshot-read receipts, then validates the
// topology and quiescence receipts (reference §3.8 A–D). The plan is only
// changed when everything passes (0.35.1 left authority upgrades applied in
// memory after a later failure).
func (p *BackupPlan) ApplyExecutionPreflightReceipts(r BackupExecutionPreflightReceipts, asOf string) error {
	if err := receiptIDs("preflight_receipts.plan_id", r.PlanID, r.PreflightID); err != nil {
		return err
	}
	if _, err := preflightTimestamp("preflight_receipts.as_of", asOf); err != nil {
		return err
	}
	if err := validateWindow(r.PreflightID, r.ValidatedAt, r.ExpiresAt, asOf); err != nil {
		return err
	}
	if r.PlanID != p.PlanID {
		return errMismatch(ErrPreflightReceiptPlanMismatch, fmtPreflightPlanMismatch, p.PlanID, r.PlanID)
	}
	trial := *p
	trial.Targets = append([]BackupTarget(nil), p.Targets...)
	if err := trial.ApplyAuthorityPreflightReceipts(r.PreflightID, r.ControlAuthority, r.SnapshotReadAuthority, asOf); err != nil {
		return err
	}
	if err := trial.ValidateExecutionPreflightReceipts(r.Topology, r.Quiescence, r.PreflightID, asOf); err != nil {
		return err
	}
	*p = trial
	return nil
}

// ApplyAuthorityPreflightReceipts applies control then snapshot-read
// receipts; on failure the plan is unchanged.
func (p *BackupPlan) ApplyAuthorityPreflightReceipts(preflightID string, control []ControlAuthorityReceipt, read []SnapshotReadAuthorityReceipt, asOf string) error {
	trial := append([]BackupTarget(nil), p.Targets...)
	saved := p.Targets
	p.Targets = trial
	if err := p.ApplyControlAuthorityReceipts(preflightID, control, asOf); err != nil {
		p.Targets = saved
		return err
	}
	if err := p.ApplySnapshotReadAuthorityReceipts(preflightID, read, asOf); err != nil {
		p.Targets = saved
		return err
	}
	return nil
}

// ApplyControlAuthorityReceipts replaces every target's control authority
// with its receipt's, after checking each receipt's header and shape, that
// every target has exactly one proven receipt, and the root-controller rule.
func (p *BackupPlan) ApplyControlAuthorityReceipts(preflightID string, receipts []ControlAuthorityReceipt, asOf string) error {
	targets := p.targetSet()
	byTarget := make(map[string]ControlAuthority, len(receipts))
	for _, r := range receipts {
		if err := p.validateReceiptHeader(preflightID, asOf, targets, receiptHeader{r.PlanID, r.PreflightID, r.TargetCanisterID, r.ValidatedAt, r.ExpiresAt, r.Message}); err != nil {
			return err
		}
		if err := validateControlAuthority(r.Authority); err != nil {
			return err
		}
		if _, dup := byTarget[r.TargetCanisterID]; dup {
			return errCanister(ErrDuplicateAuthorityReceipt, fmtDuplicateReceipt, r.TargetCanisterID)
		}
		byTarget[r.TargetCanisterID] = r.Authority
	}
	for _, t := range p.Targets {
		a, ok := byTarget[t.CanisterID]
		if !ok {
			return errCanister(ErrMissingControlAuthorityReceipt, fmtMissingControlReceipt, t.CanisterID)
		}
		if !a.IsProven() {
			return errCanister(ErrUnprovenControlAuthority, fmtUnprovenControl, t.CanisterID)
		}
		if p.RequiresRootController && t.CanisterID != p.RootCanisterID && !a.IsProvenRootController() {
			return errCanister(ErrMissingRootController, fmtMissingRootController, t.CanisterID)
		}
	}
	for i := range p.Targets {
		p.Targets[i].ControlAuthority = byTarget[p.Targets[i].CanisterID]
	}
	return nil
}

// ApplySnapshotReadAuthorityReceipts replaces every target's snapshot-read
// authority with its receipt's, after the same checks (no shape check).
func (p *BackupPlan) ApplySnapshotReadAuthorityReceipts(preflightID string, receipts []SnapshotReadAuthorityReceipt, asOf string) error {
	targets := p.targetSet()
	byTarget := make(map[string]SnapshotReadAuthority, len(receipts))
	for _, r := range receipts {
		if err := p.validateReceiptHeader(preflightID, asOf, targets, receiptHeader{r.PlanID, r.PreflightID, r.TargetCanisterID, r.ValidatedAt, r.ExpiresAt, r.Message}); err != nil {
			return err
		}
		if _, dup := byTarget[r.TargetCanisterID]; dup {
			return errCanister(ErrDuplicateAuthorityReceipt, fmtDuplicateReceipt, r.TargetCanisterID)
		}
		byTarget[r.TargetCanisterID] = r.Authority
	}
	for _, t := range p.Targets {
		a, ok := byTarget[t.CanisterID]
		if !ok {
			return errCanister(ErrMissingSnapshotReadAuthorityReceipt, fmtMissingReadReceipt, t.CanisterID)
		}
		if !a.IsProven() {
			return errCanister(ErrUnprovenSnapshotReadAuthority, fmtUnprovenRead, t.CanisterID)
		}
	}
	for i := range p.Targets {
		p.Targets[i].SnapshotReadAuthority = byTarget[p.Targets[i].CanisterID]
	}
	return nil
}

// ValidateExecutionPreflightReceipts checks the plan is executable and that
// the topology and quiescence receipts belong to this plan and preflight,
// are inside their window at asOf, show no topology drift, accept the
// policy, and cover exactly the plan's targets in order.
func (p *BackupPlan) ValidateExecutionPreflightReceipts(topo TopologyPreflightReceipt, quiet QuiescencePreflightReceipt, preflightID, asOf string) error {
	if err := p.ValidateForExecution(); err != nil {
		return err
	}
	if err := nonempty("preflight_id", preflightID); err != nil {
		return err
	}
	if _, err := preflightTimestamp("preflight.as_of", asOf); err != nil {
		return err
	}
	if err := p.validateTopologyReceipt(topo, preflightID, asOf); err != nil {
		return err
	}
	return p.validateQuiescenceReceipt(quiet, preflightID, asOf)
}

func (p *BackupPlan) validateTopologyReceipt(r TopologyPreflightReceipt, preflightID, asOf string) error {
	if err := receiptIDs("topology_receipt.plan_id", r.PlanID, r.PreflightID); err != nil {
		return err
	}
	if err := requiredHash("topology_receipt.topology_hash_before_quiesce", r.TopologyHashBeforeQuiesce); err != nil {
		return err
	}
	if err := requiredHash("topology_receipt.topology_hash_at_preflight", r.TopologyHashAtPreflight); err != nil {
		return err
	}
	if err := optionalNonempty("topology_receipt.message", r.Message); err != nil {
		return err
	}
	if err := validateWindow(r.PreflightID, r.ValidatedAt, r.ExpiresAt, asOf); err != nil {
		return err
	}
	if err := p.matchPreflightReceipt(r.PlanID, r.PreflightID, preflightID); err != nil {
		return err
	}
	if r.TopologyHashBeforeQuiesce != p.TopologyHashBeforeQuiesce {
		return errTopologyHashMismatch(p.TopologyHashBeforeQuiesce, r.TopologyHashBeforeQuiesce)
	}
	if r.TopologyHashAtPreflight != p.TopologyHashBeforeQuiesce {
		return errTopologyHashMismatch(p.TopologyHashBeforeQuiesce, r.TopologyHashAtPreflight)
	}
	want := p.TopologyPreflightRequest().Targets
	if len(r.Targets) != len(want) {
		return errSimple(ErrTopologyPreflightTargetsMismatch)
	}
	for i := range want {
		if r.Targets[i].CanisterID != want[i].CanisterID || r.Targets[i].Depth != want[i].Depth ||
			!eqOpt(r.Targets[i].ParentCanisterID, want[i].ParentCanisterID) {
			return errSimple(ErrTopologyPreflightTargetsMismatch)
		}
	}
	return nil
}

func (p *BackupPlan) validateQuiescenceReceipt(r QuiescencePreflightReceipt, preflightID, asOf string) error {
	if err := receiptIDs("quiescence_receipt.plan_id", r.PlanID, r.PreflightID); err != nil {
		return err
	}
	if err := optionalNonempty("quiescence_receipt.message", r.Message); err != nil {
		return err
	}
	if err := validateWindow(r.PreflightID, r.ValidatedAt, r.ExpiresAt, asOf); err != nil {
		return err
	}
	if err := p.matchPreflightReceipt(r.PlanID, r.PreflightID, preflightID); err != nil {
		return err
	}
	if r.QuiescencePolicy != p.QuiescencePolicy {
		return errSimple(ErrQuiescencePolicyMismatch)
	}
	if !r.Accepted {
		return errSimple(ErrQuiescencePreflightRejected)
	}
	want := p.QuiescencePreflightRequest().Targets
	if len(r.Targets) != len(want) {
		return errSimple(ErrQuiescencePreflightTargetsMismatch)
	}
	for i := range want {
		if r.Targets[i].CanisterID != want[i].CanisterID || !eqOpt(r.Targets[i].Role, want[i].Role) ||
			!eqOpt(r.Targets[i].ParentCanisterID, want[i].ParentCanisterID) {
			return errSimple(ErrQuiescencePreflightTargetsMismatch)
		}
	}
	return nil
}

type receiptHeader struct {
	planID, preflightID, target, validatedAt, expiresAt string
	message                                             *string
}

func (p *BackupPlan) validateReceiptHeader(preflightID, asOf string, targets map[string]bool, h receiptHeader) error {
	if err := receiptIDs("authority_receipts[].plan_id", h.planID, h.preflightID); err != nil {
		return err
	}
	if err := validPrincipal("authority_receipts[].target_canister_id", h.target); err != nil {
		return err
	}
	if err := optionalNonempty("authority_receipts[].message", h.message); err != nil {
		return err
	}
	if err := validateWindow(h.preflightID, h.validatedAt, h.expiresAt, asOf); err != nil {
		return err
	}
	if h.planID != p.PlanID {
		return errMismatch(ErrAuthorityReceiptPlanMismatch, fmtAuthorityPlanMismatch, p.PlanID, h.planID)
	}
	if h.preflightID != preflightID {
		return errMismatch(ErrAuthorityReceiptPreflightMismatch, fmtAuthorityPreflightMism, preflightID, h.preflightID)
	}
	if !targets[h.target] {
		return errCanister(ErrUnknownAuthorityReceiptTarget, fmtUnknownReceiptTarget, h.target)
	}
	return nil
}

// receiptIDs checks that a receipt names its plan (planField) and its
// preflight, in that order.
func receiptIDs(planField, planID, preflightID string) error {
	if err := nonempty(planField, planID); err != nil {
		return err
	}
	return nonempty("preflight_id", preflightID)
}

// matchPreflightReceipt checks that a topology or quiescence receipt was
// made for this plan and for preflightID, in that order.
func (p *BackupPlan) matchPreflightReceipt(planID, receiptPreflightID, preflightID string) error {
	if planID != p.PlanID {
		return errMismatch(ErrPreflightReceiptPlanMismatch, fmtPreflightPlanMismatch, p.PlanID, planID)
	}
	if receiptPreflightID != preflightID {
		return errMismatch(ErrPreflightReceiptIDMismatch, fmtPreflightIDMismatch, preflightID, receiptPreflightID)
	}
	return nil
}

func (p *BackupPlan) targetSet() map[string]bool {
	out := make(map[string]bool, len(p.Targets))
	for _, t := range p.Targets {
		out[t.CanisterID] = true
	}
	return out
}

func eqOpt(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
