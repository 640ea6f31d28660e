package plan

// ControlAuthorityPreflightRequest projects the plan for a control-authority
// preflight; targets in plan order.
func (p *BackupPlan) ControlAuthorityPreflightRequest() ControlAuthorityPreflightRequest {
	targets := make([]ControlAuthorityPreflightTarget, 0, len(p.Targets))
	for _, t := range p.Targets {
		targets = append(targets, ControlAuthorityPreflightTarget{CanisterID: t.CanisterID, Role: t.Role, ParentCanisterID: t.ParentCanisterID, DeclaredAuthority: t.ControlAuthority})
	}
	return ControlAuthorityPreflightRequest{PlanID: p.PlanID, RunID: p.RunID, Fleet: p.Fleet, Network: p.Network,
		RootCanisterID: p.RootCanisterID, RequiresRootController: p.RequiresRootController, Targets: targets}
}

// SnapshotReadAuthorityPreflightRequest projects the plan for a
// snapshot-read preflight; targets in plan order.
func (p *BackupPlan) SnapshotReadAuthorityPreflightRequest() SnapshotReadAuthorityPreflightRequest {
	targets := make([]SnapshotReadAuthorityPreflightTarget, 0, len(p.Targets))
	for _, t := range p.Targets {
		targets = append(targets, SnapshotReadAuthorityPreflightTarget{CanisterID: t.CanisterID, Role: t.Role, ParentCanisterID: t.ParentCanisterID, DeclaredAuthority: t.SnapshotReadAuthority})
	}
	return SnapshotReadAuthorityPreflightRequest{PlanID: p.PlanID, RunID: p.RunID, Fleet: p.Fleet, Network: p.Network,
		RootCanisterID: p.RootCanisterID, Targets: targets}
}

// TopologyPreflightRequest projects the plan for a topology preflight.
func (p *BackupPlan) TopologyPreflightRequest() TopologyPreflightRequest {
	targets := make([]TopologyPreflightTarget, 0, len(p.Targets))
	for _, t := range p.Targets {
		targets = append(targets, TopologyPreflightTarget{CanisterID: t.CanisterID, ParentCanisterID: t.ParentCanisterID, Depth: t.Depth})
	}
	return TopologyPreflightRequest{PlanID: p.PlanID, RunID: p.RunID, Fleet: p.Fleet, Network: p.Network,
		RootCanisterID: p.RootCanisterID, SelectedSubtreeRoot: p.SelectedSubtreeRoot, SelectedScopeKind: p.SelectedScopeKind,
		TopologyHashBeforeQuiesce: p.TopologyHashBeforeQuiesce, Targets: targets}
}

// QuiescencePreflightRequest projects the plan for a quiescence preflight.
func (p *BackupPlan) QuiescencePreflightRequest() QuiescencePreflightRequest {
	targets := make([]QuiescencePreflightTarget, 0, len(p.Targets))
	for _, t := range p.Targets {
		targets = append(targets, QuiescencePreflightTarget{CanisterID: t.CanisterID, Role: t.Role, ParentCanisterID: t.ParentCanisterID})
	}
	return QuiescencePreflightRequest{PlanID: p.PlanID, RunID: p.RunID, Fleet: p.Fleet, Network: p.Network,
		RootCanisterID: p.RootCanisterID, SelectedSubtreeRoot: p.SelectedSubtreeRoot, QuiescencePolicy: p.QuiescencePolicy,
		Targets: targets}
}
