package plan

import (
	"fmt"

	"github.com/canic-backup/canic-backup/core/registry"
)

const (
	root        = "aaaaa-aa"
	app         = "renrk-eyaaa-aaaaa-aaada-cai"
	worker      = "rno2w-sqaaa-aaaaa-aaacq-cai"
	otherWorker = "rdmx6-jaaaa-aaaaa-aaadq-cai"
	preflightID = "preflight-001"
	validatedAt = "unix:100"
	expiresAt   = "unix:200"
	asOf        = "unix:150"
	testHash    = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

func provenRootControl() ControlAuthority {
	return ControlAuthority{Source: Source(ControlRootController), Evidence: EvidenceProven}
}

func provenRootRead() SnapshotReadAuthority {
	return SnapshotReadAuthority{Source: ReadSourceRootConfiguredRead, Evidence: EvidenceProven}
}

func op(id string, order uint32, kind BackupOperationKind, target string) BackupOperation {
	o := BackupOperation{OperationID: id, Order: order, Kind: kind}
	if target != "" {
		o.TargetCanisterID = Str(target)
	}
	return o
}

func subtreePlan() *BackupPlan {
	return &BackupPlan{
		PlanID: "plan-001", RunID: "run-001", Fleet: "demo", Network: "local",
		RootCanisterID: root, SelectedSubtreeRoot: Str(app), SelectedScopeKind: ScopeSubtree,
		IncludeDescendants: true, RequiresRootController: true,
		SnapshotReadAuthority: provenRootRead(), QuiescencePolicy: QuiescenceRootCoordinated,
		TopologyHashBeforeQuiesce: testHash,
		Targets: []BackupTarget{{
			CanisterID: app, Role: Str("app"), ParentCanisterID: Str(root), Depth: 1,
			ControlAuthority: provenRootControl(), SnapshotReadAuthority: provenRootRead(),
			IdentityMode: IdentityRelocatable,
		}},
		Phases: []BackupOperation{
			op("validate-topology", 0, OpValidateTopology, ""),
			op("validate-control", 1, OpValidateControlAuthority, ""),
			op("validate-read", 2, OpValidateSnapshotReadAuthority, ""),
			op("validate-quiescence", 3, OpValidateQuiescencePolicy, ""),
			op("stop-app", 4, OpStop, app),
			op("snapshot-app", 5, OpCreateSnapshot, app),
			op("start-app", 6, OpStart, app),
			op("download-app", 7, OpDownloadSnapshot, app),
			op("verify-app", 8, OpVerifyArtifact, app),
			op("finalize", 9, OpFinalizeManifest, ""),
		},
	}
}

func planInput() BuildInput {
	return BuildInput{
		PlanID: "plan-001", RunID: "run-001", Fleet: "demo", Network: "local",
		RootCanisterID: root, SelectedCanisterID: Str(app), SelectedScopeKind: ScopeSubtree,
		IncludeDescendants: true, TopologyHashBeforeQuiesce: testHash,
		Registry:         testRegistry(),
		ControlAuthority: provenRootControl(), SnapshotReadAuthority: provenRootRead(),
		QuiescencePolicy: QuiescenceRootCoordinated, IdentityMode: IdentityRelocatable,
	}
}

func testRegistry() []registry.Entry {
	return []registry.Entry{
		{Pid: root, Role: Str("root"), Kind: Str("root")},
		{Pid: app, Role: Str("app"), Kind: Str("singleton"), ParentPid: Str(root)},
		{Pid: worker, Role: Str("worker"), Kind: Str("replica"), ParentPid: Str(app)},
	}
}

func controlReceipt(id string, a ControlAuthority) ControlAuthorityReceipt {
	return ControlAuthorityReceipt{PlanID: "plan-001", PreflightID: preflightID, TargetCanisterID: id,
		Authority: a, ProofSource: ProofRootCoordination, ValidatedAt: validatedAt, ExpiresAt: expiresAt}
}

func readReceipt(id string, a SnapshotReadAuthority) SnapshotReadAuthorityReceipt {
	return SnapshotReadAuthorityReceipt{PlanID: "plan-001", PreflightID: preflightID, TargetCanisterID: id,
		Authority: a, ProofSource: ProofSnapshotReadCheck, ValidatedAt: validatedAt, ExpiresAt: expiresAt}
}

func topologyReceipt(p *BackupPlan) TopologyPreflightReceipt {
	return TopologyPreflightReceipt{PlanID: p.PlanID, PreflightID: preflightID,
		TopologyHashBeforeQuiesce: p.TopologyHashBeforeQuiesce, TopologyHashAtPreflight: p.TopologyHashBeforeQuiesce,
		Targets: p.TopologyPreflightRequest().Targets, ValidatedAt: validatedAt, ExpiresAt: expiresAt}
}

func quiescenceReceipt(p *BackupPlan) QuiescencePreflightReceipt {
	return QuiescencePreflightReceipt{PlanID: p.PlanID, PreflightID: preflightID, QuiescencePolicy: p.QuiescencePolicy,
		Accepted: true, Targets: p.QuiescencePreflightRequest().Targets, ValidatedAt: validatedAt, ExpiresAt: expiresAt}
}

func bundle(p *BackupPlan) BackupExecutionPreflightReceipts {
	return BackupExecutionPreflightReceipts{PlanID: p.PlanID, PreflightID: preflightID,
		ValidatedAt: validatedAt, ExpiresAt: expiresAt,
		Topology:              topologyReceipt(p),
		ControlAuthority:      []ControlAuthorityReceipt{controlReceipt(app, provenRootControl())},
		SnapshotReadAuthority: []SnapshotReadAuthorityReceipt{readReceipt(app, provenRootRead())},
		Quiescence:            quiescenceReceipt(p)}
}

func planErr(err error) *Error {
	e, ok := err.(*Error)
	if !ok {
		panic(fmt.Sprintf("not a *plan.Error: %T %v", err, err))
	}
	return e
}
