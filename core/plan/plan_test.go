package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/registry"
	"github.com/canic-backup/canic-backup/core/topology"
)

// Checklist §10.1 of the reference, one test per original test name.

func TestValidatesSubtreePlanWithAuthorityPreflights(t *testing.T) {
	p := subtreePlan()
	require.NoError(t, p.Validate())
	require.NoError(t, p.ValidateForExecution())
}

func TestRejectsRootInNormalScope(t *testing.T) {
	p := subtreePlan()
	p.RootIncluded = true
	p.Targets = append(p.Targets, BackupTarget{CanisterID: root, Role: Str("root"), ControlAuthority: provenRootControl(),
		SnapshotReadAuthority: provenRootRead(), IdentityMode: IdentityFixed})
	err := p.Validate()
	require.ErrorIs(t, err, ErrRootIncludedWithoutMaintenance)
	assert.EqualError(t, err, "normal backup scope must not include root")
}

func TestPlanningAllowsDeclaredAuthority(t *testing.T) {
	p := subtreePlan()
	p.SnapshotReadAuthority = SnapshotReadAuthority{Source: ReadSourceRootConfiguredRead, Evidence: EvidenceDeclared}
	p.Targets[0].ControlAuthority = ControlAuthority{Source: Source(ControlRootController), Evidence: EvidenceDeclared}
	p.Targets[0].SnapshotReadAuthority = p.SnapshotReadAuthority
	require.NoError(t, p.Validate())
	err := p.ValidateForExecution()
	require.ErrorIs(t, err, ErrUnprovenControlAuthority)
	assert.EqualError(t, err, "target "+app+" has no proven control authority")
}

func TestPlanningAllowsUnknownAuthority(t *testing.T) {
	p := subtreePlan()
	unknownRead := SnapshotReadAuthority{Source: ReadSourceUnknown, Evidence: EvidenceUnknown}
	p.SnapshotReadAuthority = unknownRead
	p.Targets[0].ControlAuthority = ControlAuthority{Source: Source(ControlUnknown), Evidence: EvidenceUnknown}
	p.Targets[0].SnapshotReadAuthority = unknownRead
	require.NoError(t, p.Validate())
	err := p.ValidateForExecution()
	require.ErrorIs(t, err, ErrUnprovenControlAuthority)
	assert.Equal(t, app, planErr(err).Value)
}

func TestRejectsUnprovenControlAuthority(t *testing.T) {
	p := subtreePlan()
	p.Targets[0].ControlAuthority = ControlAuthority{Source: Source(ControlRootController), Evidence: EvidenceDeclared}
	err := p.ValidateForExecution()
	require.ErrorIs(t, err, ErrUnprovenControlAuthority)
	assert.Equal(t, app, planErr(err).Value)
}

func TestRejectsUnprovenSnapshotReadAuthority(t *testing.T) {
	p := subtreePlan()
	p.Targets[0].SnapshotReadAuthority = SnapshotReadAuthority{Source: ReadSourceRootConfiguredRead, Evidence: EvidenceDeclared}
	err := p.ValidateForExecution()
	require.ErrorIs(t, err, ErrUnprovenSnapshotReadAuthority)
	assert.EqualError(t, err, "target "+app+" has no proven snapshot read authority")
}

func TestRejectsMutationBeforePreflights(t *testing.T) {
	p := subtreePlan()
	stop := p.Phases[4]
	p.Phases = append([]BackupOperation{stop}, append(p.Phases[:4:4], p.Phases[5:]...)...)
	for i := range p.Phases {
		p.Phases[i].Order = uint32(i)
	}
	err := p.Validate()
	require.ErrorIs(t, err, ErrMutationBeforePreflight)
	assert.EqualError(t, err, "mutating operation stop-app appears before required preflights")
}

func TestRejectsNonRootFleetWithSelectedRoot(t *testing.T) {
	p := subtreePlan()
	p.SelectedScopeKind = ScopeNonRootFleet
	err := p.Validate()
	require.ErrorIs(t, err, ErrNonRootFleetHasSelectedRoot)
	assert.EqualError(t, err, "non-root-fleet scope must not declare a selected subtree root")
}

func TestRejectsOperationOrderMismatch(t *testing.T) {
	p := subtreePlan()
	p.Phases[1].Order = 42
	err := p.Validate()
	require.ErrorIs(t, err, ErrOperationOrderMismatch)
	e := planErr(err)
	assert.Equal(t, "validate-control", e.OperationID)
	assert.Equal(t, uint32(42), e.Order)
	assert.Equal(t, uint32(1), e.ExpectedOrder)
	assert.EqualError(t, err, "operation validate-control has order 42, expected 1")
}

func TestBuildsSubtreePlanFromRegistry(t *testing.T) {
	p, err := Build(planInput())
	require.NoError(t, err)
	require.NotNil(t, p.SelectedSubtreeRoot)
	assert.Equal(t, app, *p.SelectedSubtreeRoot)
	assert.False(t, p.RootIncluded)
	assert.Equal(t, []string{app, worker}, targetIDs(p))
	for _, ph := range p.Phases {
		if ph.TargetCanisterID != nil {
			assert.NotEqual(t, root, *ph.TargetCanisterID)
		}
	}
	want := []struct{ id, target string }{
		{"validate-topology", ""}, {"validate-control-authority", ""},
		{"validate-snapshot-read-authority", ""}, {"validate-quiescence-policy", ""},
		{"stop-" + app, app}, {"stop-" + worker, worker},
		{"snapshot-" + app, app}, {"snapshot-" + worker, worker},
		{"start-" + worker, worker}, {"start-" + app, app},
	}
	for i, w := range want {
		assert.Equal(t, w.id, p.Phases[i].OperationID)
		if w.target == "" {
			assert.Nil(t, p.Phases[i].TargetCanisterID)
		} else {
			assert.Equal(t, w.target, *p.Phases[i].TargetCanisterID)
		}
	}
}

func TestBuildsNonRootFleetPlanWithoutRootTarget(t *testing.T) {
	in := planInput()
	in.SelectedCanisterID, in.SelectedScopeKind = nil, ScopeNonRootFleet
	p, err := Build(in)
	require.NoError(t, err)
	assert.Nil(t, p.SelectedSubtreeRoot)
	assert.False(t, p.RootIncluded)
	assert.Equal(t, []string{app, worker}, targetIDs(p))
}

func TestBuilderRejectsRootSubtreeWithoutMaintenance(t *testing.T) {
	in := planInput()
	in.SelectedCanisterID = Str(root)
	_, err := Build(in)
	require.ErrorIs(t, err, ErrRootIncludedWithoutMaintenance)
}

// Selector checklist lines (resolves_principal_and_role_selectors,
// rejects_ambiguous_role_selector, rejects_unknown_selector) live in
// core/topology, which owns selector resolution; this test pins that the
// plan-side fixture resolves the same way.
func TestResolvesPrincipalAndRoleSelectors(t *testing.T) {
	for _, sel := range []string{app, "app"} {
		got, err := topology.ResolveSelector(testRegistry(), sel)
		require.NoError(t, err)
		assert.Equal(t, app, got)
	}
}

func TestRejectsAmbiguousRoleSelector(t *testing.T) {
	reg := append(testRegistry(), registry.Entry{Pid: otherWorker, Role: Str("worker"), ParentPid: Str(app)})
	_, err := topology.ResolveSelector(reg, "worker")
	require.ErrorIs(t, err, topology.ErrAmbiguousSelector)
	var se *topology.SelectorError
	require.True(t, errors.As(err, &se))
	assert.Equal(t, []string{worker, otherWorker}, se.Matches)
}

func TestRejectsUnknownSelector(t *testing.T) {
	_, err := topology.ResolveSelector(testRegistry(), "missing-role")
	require.ErrorIs(t, err, topology.ErrUnknownSelector)
}

func TestAuthorityReceiptsUpgradeDeclaredPlanForExecution(t *testing.T) {
	p := subtreePlan()
	p.Targets[0].ControlAuthority = ControlAuthority{Source: Source(ControlRootController), Evidence: EvidenceDeclared}
	p.Targets[0].SnapshotReadAuthority = SnapshotReadAuthority{Source: ReadSourceRootConfiguredRead, Evidence: EvidenceDeclared}
	require.Error(t, p.ValidateForExecution())
	require.NoError(t, p.ApplyAuthorityPreflightReceipts(preflightID,
		[]ControlAuthorityReceipt{controlReceipt(app, provenRootControl())},
		[]SnapshotReadAuthorityReceipt{readReceipt(app, provenRootRead())}, asOf))
	assert.Equal(t, provenRootControl(), p.Targets[0].ControlAuthority)
	assert.Equal(t, provenRootRead(), p.Targets[0].SnapshotReadAuthority)
	require.NoError(t, p.ValidateForExecution())
}

func TestControlAuthorityReceiptsMustCoverAllTargets(t *testing.T) {
	p, err := Build(planInput())
	require.NoError(t, err)
	err = p.ApplyControlAuthorityReceipts(preflightID, []ControlAuthorityReceipt{controlReceipt(app, provenRootControl())}, asOf)
	require.ErrorIs(t, err, ErrMissingControlAuthorityReceipt)
	assert.EqualError(t, err, "target "+worker+" has no control authority receipt")
}

func TestAuthorityReceiptsRejectUnknownTargets(t *testing.T) {
	p := subtreePlan()
	err := p.ApplyControlAuthorityReceipts(preflightID, []ControlAuthorityReceipt{controlReceipt(worker, provenRootControl())}, asOf)
	require.ErrorIs(t, err, ErrUnknownAuthorityReceiptTarget)
	assert.EqualError(t, err, "authority receipt targets unknown canister "+worker)
}

func TestAuthorityReceiptsRejectUnprovenAuthority(t *testing.T) {
	p := subtreePlan()
	declared := ControlAuthority{Source: Source(ControlRootController), Evidence: EvidenceDeclared}
	err := p.ApplyControlAuthorityReceipts(preflightID, []ControlAuthorityReceipt{controlReceipt(app, declared)}, asOf)
	require.ErrorIs(t, err, ErrUnprovenControlAuthority)
	assert.Equal(t, app, planErr(err).Value)
}

func TestRootControllerPlansRequireRootControllerReceipts(t *testing.T) {
	p := subtreePlan()
	operator := ControlAuthority{Source: Source(ControlOperatorController), Evidence: EvidenceProven}
	err := p.ApplyControlAuthorityReceipts(preflightID, []ControlAuthorityReceipt{controlReceipt(app, operator)}, asOf)
	require.ErrorIs(t, err, ErrMissingRootController)
	assert.EqualError(t, err, "target "+app+" must be controllable by root for this plan")
}

func TestBuildsControlAuthorityPreflightRequest(t *testing.T) {
	r := subtreePlan().ControlAuthorityPreflightRequest()
	assert.Equal(t, "plan-001", r.PlanID)
	assert.Equal(t, "run-001", r.RunID)
	assert.Equal(t, root, r.RootCanisterID)
	assert.True(t, r.RequiresRootController)
	require.Len(t, r.Targets, 1)
	assert.Equal(t, app, r.Targets[0].CanisterID)
	assert.Equal(t, "app", *r.Targets[0].Role)
	assert.Equal(t, provenRootControl(), r.Targets[0].DeclaredAuthority)
}

func TestBuildsSnapshotReadAuthorityPreflightRequest(t *testing.T) {
	r := subtreePlan().SnapshotReadAuthorityPreflightRequest()
	assert.Equal(t, "plan-001", r.PlanID)
	assert.Equal(t, "run-001", r.RunID)
	assert.Equal(t, root, r.RootCanisterID)
	require.Len(t, r.Targets, 1)
	assert.Equal(t, app, r.Targets[0].CanisterID)
	assert.Equal(t, "app", *r.Targets[0].Role)
	assert.Equal(t, provenRootRead(), r.Targets[0].DeclaredAuthority)
}

func TestBuildsTopologyPreflightRequest(t *testing.T) {
	p := subtreePlan()
	r := p.TopologyPreflightRequest()
	assert.Equal(t, "plan-001", r.PlanID)
	assert.Equal(t, "run-001", r.RunID)
	assert.Equal(t, app, *r.SelectedSubtreeRoot)
	assert.Equal(t, ScopeSubtree, r.SelectedScopeKind)
	assert.Equal(t, p.TopologyHashBeforeQuiesce, r.TopologyHashBeforeQuiesce)
	require.Len(t, r.Targets, 1)
	assert.Equal(t, app, r.Targets[0].CanisterID)
	assert.Equal(t, root, *r.Targets[0].ParentCanisterID)
	assert.Equal(t, uint32(1), r.Targets[0].Depth)
}

func TestBuildsQuiescencePreflightRequest(t *testing.T) {
	r := subtreePlan().QuiescencePreflightRequest()
	assert.Equal(t, "plan-001", r.PlanID)
	assert.Equal(t, "run-001", r.RunID)
	assert.Equal(t, app, *r.SelectedSubtreeRoot)
	assert.Equal(t, QuiescenceRootCoordinated, r.QuiescencePolicy)
	require.Len(t, r.Targets, 1)
	assert.Equal(t, app, r.Targets[0].CanisterID)
	assert.Equal(t, "app", *r.Targets[0].Role)
}

func TestValidatesExecutionPreflightReceipts(t *testing.T) {
	p := subtreePlan()
	require.NoError(t, p.ValidateExecutionPreflightReceipts(topologyReceipt(p), quiescenceReceipt(p), preflightID, asOf))
}

func TestAppliesExecutionPreflightReceiptBundle(t *testing.T) {
	p := subtreePlan()
	p.Targets[0].ControlAuthority = ControlAuthority{Source: Source(ControlRootController), Evidence: EvidenceDeclared}
	p.Targets[0].SnapshotReadAuthority = SnapshotReadAuthority{Source: ReadSourceRootConfiguredRead, Evidence: EvidenceDeclared}
	require.NoError(t, p.ApplyExecutionPreflightReceipts(bundle(subtreePlan()), asOf))
	assert.Equal(t, provenRootControl(), p.Targets[0].ControlAuthority)
	assert.Equal(t, provenRootRead(), p.Targets[0].SnapshotReadAuthority)
	require.NoError(t, p.ValidateForExecution())
}

func TestRejectsExpiredExecutionPreflightBundle(t *testing.T) {
	p := subtreePlan()
	err := p.ApplyExecutionPreflightReceipts(bundle(p), "unix:250")
	require.ErrorIs(t, err, ErrPreflightReceiptExpired)
	e := planErr(err)
	assert.Equal(t, [3]string{preflightID, expiresAt, "unix:250"}, [3]string{e.PreflightID, e.ExpiresAt, e.AsOf})
	assert.EqualError(t, err, "preflight receipt preflight-001 expired at unix:200; checked at unix:250")
}

func TestRejectsMismatchedPreflightIDInBundleReceipts(t *testing.T) {
	p := subtreePlan()
	b := bundle(p)
	b.Topology.PreflightID = "preflight-other"
	err := p.ApplyExecutionPreflightReceipts(b, asOf)
	require.ErrorIs(t, err, ErrPreflightReceiptIDMismatch)
	e := planErr(err)
	assert.Equal(t, preflightID, e.Expected)
	assert.Equal(t, "preflight-other", e.Actual)
	assert.EqualError(t, err, "preflight receipt id preflight-other does not match preflight preflight-001")
}

func TestRejectsExpiredAuthorityReceipt(t *testing.T) {
	p := subtreePlan()
	err := p.ApplyControlAuthorityReceipts(preflightID, []ControlAuthorityReceipt{controlReceipt(app, provenRootControl())}, "unix:250")
	require.ErrorIs(t, err, ErrPreflightReceiptExpired)
	e := planErr(err)
	assert.Equal(t, [3]string{preflightID, expiresAt, "unix:250"}, [3]string{e.PreflightID, e.ExpiresAt, e.AsOf})
}

func TestRejectsTopologyPreflightHashDrift(t *testing.T) {
	p := subtreePlan()
	r := topologyReceipt(p)
	r.TopologyHashAtPreflight = strings.Repeat("f", 64)
	err := p.ValidateExecutionPreflightReceipts(r, quiescenceReceipt(p), preflightID, asOf)
	require.ErrorIs(t, err, ErrTopologyPreflightHashMismatch)
	assert.Equal(t, p.TopologyHashBeforeQuiesce, planErr(err).Expected)
	assert.Equal(t, strings.Repeat("f", 64), planErr(err).Actual)
	assert.EqualError(t, err, "topology preflight hash drifted from "+testHash+" to "+strings.Repeat("f", 64))
}

func TestRejectsUnacceptedQuiescencePreflight(t *testing.T) {
	p := subtreePlan()
	r := quiescenceReceipt(p)
	r.Accepted = false
	err := p.ValidateExecutionPreflightReceipts(topologyReceipt(p), r, preflightID, asOf)
	require.ErrorIs(t, err, ErrQuiescencePreflightRejected)
	assert.EqualError(t, err, "quiescence preflight was not accepted")
}

func TestRejectsQuiescenceTargetMismatch(t *testing.T) {
	p := subtreePlan()
	r := quiescenceReceipt(p)
	r.Targets = nil
	err := p.ValidateExecutionPreflightReceipts(topologyReceipt(p), r, preflightID, asOf)
	require.ErrorIs(t, err, ErrQuiescencePreflightTargetsMismatch)
	assert.EqualError(t, err, "quiescence preflight targets do not match selected plan targets")
}

func targetIDs(p *BackupPlan) []string {
	out := make([]string, len(p.Targets))
	for i, t := range p.Targets {
		out[i] = t.CanisterID
	}
	return out
}

// TestTopologyAndQuiescenceReceiptsNameTheirPlanAndPreflight: both receipts
// are checked for an empty plan id (naming their own field), another plan
// and another preflight, with the same texts.
func TestTopologyAndQuiescenceReceiptsNameTheirPlanAndPreflight(t *testing.T) {
	p := subtreePlan()
	for _, tc := range []struct {
		name   string
		topo   func(*TopologyPreflightReceipt)
		quiet  func(*QuiescencePreflightReceipt)
		is     error
		prefix string
	}{
		{"topology plan id empty", func(r *TopologyPreflightReceipt) { r.PlanID = "" }, nil, ErrEmptyField, "field topology_receipt.plan_id must not be empty"},
		{"quiescence plan id empty", nil, func(r *QuiescencePreflightReceipt) { r.PlanID = "" }, ErrEmptyField, "field quiescence_receipt.plan_id must not be empty"},
		{"topology preflight id empty", func(r *TopologyPreflightReceipt) { r.PreflightID = "" }, nil, ErrEmptyField, "field preflight_id must not be empty"},
		{"topology other plan", func(r *TopologyPreflightReceipt) { r.PlanID = "plan-other" }, nil, ErrPreflightReceiptPlanMismatch, "preflight receipt plan id"},
		{"quiescence other plan", nil, func(r *QuiescencePreflightReceipt) { r.PlanID = "plan-other" }, ErrPreflightReceiptPlanMismatch, "preflight receipt plan id"},
		{"quiescence other preflight", nil, func(r *QuiescencePreflightReceipt) { r.PreflightID = "preflight-other" }, ErrPreflightReceiptIDMismatch,
			"preflight receipt id preflight-other does not match preflight " + preflightID},
	} {
		topo, quiet := topologyReceipt(p), quiescenceReceipt(p)
		if tc.topo != nil {
			tc.topo(&topo)
		}
		if tc.quiet != nil {
			tc.quiet(&quiet)
		}
		err := p.ValidateExecutionPreflightReceipts(topo, quiet, preflightID, asOf)
		require.ErrorIs(t, err, tc.is, tc.name)
		assert.True(t, strings.HasPrefix(err.Error(), tc.prefix), "%s: %v", tc.name, err)
	}
}
