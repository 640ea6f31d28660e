package runner

import "github.com/canic-backup/canic-backup/core/plan"

// OperatorReceipts builds the preflight bundle an operator-controlled
// executor returns once it has checked every target (0.35.1's ICP executor,
// reference §8.1): the topology receipt reports liveTopologyHash as the hash
// at preflight (the plan's hash when nothing drifted), every target gets
// operator-controller/proven control and snapshot-read receipts from
// management status, and the plan's quiescence policy is accepted.
func OperatorReceipts(req PreflightRequest, liveTopologyHash string) plan.BackupExecutionPreflightReceipts {
	p := req.Plan
	b := plan.BackupExecutionPreflightReceipts{
		PlanID:      p.PlanID,
		PreflightID: req.PreflightID,
		ValidatedAt: req.ValidatedAt,
		ExpiresAt:   req.ExpiresAt,
		Topology: plan.TopologyPreflightReceipt{
			PlanID:                    p.PlanID,
			PreflightID:               req.PreflightID,
			TopologyHashBeforeQuiesce: p.TopologyHashBeforeQuiesce,
			TopologyHashAtPreflight:   liveTopologyHash,
			Targets:                   []plan.TopologyPreflightTarget{},
			ValidatedAt:               req.ValidatedAt,
			ExpiresAt:                 req.ExpiresAt,
			Message:                   plan.Str("root registry matched planned topology"),
		},
		ControlAuthority:      []plan.ControlAuthorityReceipt{},
		SnapshotReadAuthority: []plan.SnapshotReadAuthorityReceipt{},
		Quiescence: plan.QuiescencePreflightReceipt{
			PlanID:           p.PlanID,
			PreflightID:      req.PreflightID,
			QuiescencePolicy: p.QuiescencePolicy,
			Accepted:         true,
			Targets:          []plan.QuiescencePreflightTarget{},
			ValidatedAt:      req.ValidatedAt,
			ExpiresAt:        req.ExpiresAt,
			Message:          plan.Str("crash-consistent operator backup accepted"),
		},
	}
	for _, t := range p.Targets {
		b.Topology.Targets = append(b.Topology.Targets, plan.TopologyPreflightTarget{
			CanisterID: t.CanisterID, ParentCanisterID: t.ParentCanisterID, Depth: t.Depth,
		})
		b.Quiescence.Targets = append(b.Quiescence.Targets, plan.QuiescencePreflightTarget{
			CanisterID: t.CanisterID, Role: t.Role, ParentCanisterID: t.ParentCanisterID,
		})
		b.ControlAuthority = append(b.ControlAuthority, plan.ControlAuthorityReceipt{
			PlanID:           p.PlanID,
			PreflightID:      req.PreflightID,
			TargetCanisterID: t.CanisterID,
			Authority: plan.ControlAuthority{
				Source:   plan.ControlAuthoritySource{Kind: plan.ControlOperatorController},
				Evidence: plan.EvidenceProven,
			},
			ProofSource: plan.ProofManagementStatus,
			ValidatedAt: req.ValidatedAt,
			ExpiresAt:   req.ExpiresAt,
			Message:     plan.Str("icp canister status succeeded"),
		})
		b.SnapshotReadAuthority = append(b.SnapshotReadAuthority, plan.SnapshotReadAuthorityReceipt{
			PlanID:           p.PlanID,
			PreflightID:      req.PreflightID,
			TargetCanisterID: t.CanisterID,
			Authority: plan.SnapshotReadAuthority{
				Source:   plan.ReadSourceOperatorController,
				Evidence: plan.EvidenceProven,
			},
			ProofSource: plan.ProofManagementStatus,
			ValidatedAt: req.ValidatedAt,
			ExpiresAt:   req.ExpiresAt,
			Message:     plan.Str("operator control permits snapshot read"),
		})
	}
	return b
}
