package plan

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every §3.7 rule with its exact 0.35.1 text, in evaluation order.
func TestValidateRulesAndTexts(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(p *BackupPlan)
		kind   error
		text   string
	}{
		{"empty plan_id", func(p *BackupPlan) { p.PlanID = " " }, ErrEmptyField, "field plan_id must not be empty"},
		{"empty run_id", func(p *BackupPlan) { p.RunID = "" }, ErrEmptyField, "field run_id must not be empty"},
		{"empty fleet", func(p *BackupPlan) { p.Fleet = "" }, ErrEmptyField, "field fleet must not be empty"},
		{"empty network", func(p *BackupPlan) { p.Network = "\t" }, ErrEmptyField, "field network must not be empty"},
		{"bad root", func(p *BackupPlan) { p.RootCanisterID = "nope" }, ErrInvalidPrincipal, "field root_canister_id must be a valid principal: nope"},
		{"bad selected", func(p *BackupPlan) { p.SelectedSubtreeRoot = Str("x") }, ErrInvalidPrincipal, "field selected_subtree_root must be a valid principal: x"},
		{"empty hash", func(p *BackupPlan) { p.TopologyHashBeforeQuiesce = "" }, ErrEmptyField, "field topology_hash_before_quiesce must not be empty"},
		{"maintenance excludes root", func(p *BackupPlan) { p.SelectedScopeKind = ScopeMaintenanceRoot }, ErrMaintenanceRootExcludesRoot, "maintenance root scope must include root"},
		{"root included in subtree", func(p *BackupPlan) { p.RootIncluded = true }, ErrRootIncludedWithoutMaintenance, "normal backup scope must not include root"},
		{"no targets", func(p *BackupPlan) { p.Targets = nil }, ErrEmptyTargets, "backup plan has no targets"},
		{"bad target id", func(p *BackupPlan) { p.Targets[0].CanisterID = "bad" }, ErrInvalidPrincipal, "field targets[].canister_id must be a valid principal: bad"},
		{"bad parent", func(p *BackupPlan) { p.Targets[0].ParentCanisterID = Str("bad") }, ErrInvalidPrincipal, "field targets[].parent_canister_id must be a valid principal: bad"},
		{"empty role", func(p *BackupPlan) { p.Targets[0].Role = Str("") }, ErrEmptyField, "field targets[].role must not be empty"},
		{"empty module hash", func(p *BackupPlan) { p.Targets[0].ExpectedModuleHash = Str("") }, ErrEmptyField, "field targets[].expected_module_hash must not be empty"},
		{"alternate bad controller", func(p *BackupPlan) {
			p.Targets[0].ControlAuthority.Source = AlternateController("bad", "why")
		}, ErrInvalidPrincipal, "field targets[].control_authority.controller must be a valid principal: bad"},
		{"alternate empty reason", func(p *BackupPlan) {
			p.Targets[0].ControlAuthority.Source = AlternateController(root, " ")
		}, ErrEmptyField, "field targets[].control_authority.reason must not be empty"},
		{"duplicate target", func(p *BackupPlan) { p.Targets = append(p.Targets, p.Targets[0]) }, ErrDuplicateTarget, "duplicate backup target " + app},
		{"root target without maintenance", func(p *BackupPlan) {
			p.Targets = append(p.Targets, BackupTarget{CanisterID: root, ControlAuthority: provenRootControl(), SnapshotReadAuthority: provenRootRead(), IdentityMode: IdentityFixed})
		}, ErrRootIncludedWithoutMaintenance, "normal backup scope must not include root"},
		{"no phases", func(p *BackupPlan) { p.Phases = nil }, ErrEmptyPhases, "backup plan has no phases"},
		{"empty operation id", func(p *BackupPlan) { p.Phases[2].OperationID = "" }, ErrEmptyField, "field phases[].operation_id must not be empty"},
		{"duplicate operation id", func(p *BackupPlan) { p.Phases[2].OperationID = "validate-topology" }, ErrDuplicateOperationID, "duplicate backup operation id validate-topology"},
		{"bad phase target", func(p *BackupPlan) { p.Phases[4].TargetCanisterID = Str("bad") }, ErrInvalidPrincipal, "field phases[].target_canister_id must be a valid principal: bad"},
		{"unknown phase target", func(p *BackupPlan) { p.Phases[4].TargetCanisterID = Str(worker) }, ErrUnknownOperationTarget, "operation stop-app targets unknown canister " + worker},
		{"subtree without root", func(p *BackupPlan) { p.SelectedSubtreeRoot = nil }, ErrEmptyField, "field selected_subtree_root must not be empty"},
		{"selected root not target", func(p *BackupPlan) { p.SelectedSubtreeRoot = Str(worker) }, ErrSelectedRootNotInTargets, "selected scope root " + worker + " is not present in plan targets"},
		{"missing topology preflight", func(p *BackupPlan) { p.Phases[0].Kind = OpVerifyArtifact }, ErrMissingPreflight, "required preflight operation topology is missing"},
		{"missing quiescence preflight", func(p *BackupPlan) { p.Phases[3].Kind = OpVerifyArtifact }, ErrMissingPreflight, "required preflight operation quiescence_policy is missing"},
		{"download before preflight", func(p *BackupPlan) {
			p.Phases[0], p.Phases[7] = p.Phases[7], p.Phases[0]
			p.Phases[0].Order, p.Phases[7].Order = 0, 7
		}, ErrMutationBeforePreflight, "mutating operation download-app appears before required preflights"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := subtreePlan()
			c.mutate(p)
			err := p.Validate()
			require.ErrorIs(t, err, c.kind)
			assert.EqualError(t, err, c.text)
		})
	}
}

// verify-artifact and finalize-manifest are not "mutating" for rule 9.
func TestVerifyBeforePreflightIsAllowed(t *testing.T) {
	p := subtreePlan()
	verify := p.Phases[8]
	p.Phases = append([]BackupOperation{verify}, append(p.Phases[:8:8], p.Phases[9:]...)...)
	for i := range p.Phases {
		p.Phases[i].Order = uint32(i)
	}
	require.NoError(t, p.Validate())
}

func TestValidateForExecutionRootExemptFromRootController(t *testing.T) {
	p := subtreePlan()
	p.SelectedScopeKind, p.RootIncluded, p.SelectedSubtreeRoot = ScopeMaintenanceRoot, true, Str(root)
	p.Targets = append(p.Targets, BackupTarget{CanisterID: root,
		ControlAuthority:      ControlAuthority{Source: Source(ControlOperatorController), Evidence: EvidenceProven},
		SnapshotReadAuthority: provenRootRead(), IdentityMode: IdentityFixed})
	p.Phases = BuildPhases(p.Targets)
	require.NoError(t, p.ValidateForExecution())
	p.Targets[0].ControlAuthority = p.Targets[1].ControlAuthority
	require.ErrorIs(t, p.ValidateForExecution(), ErrMissingRootController)
}

func TestPreflightWindowRules(t *testing.T) {
	cases := []struct {
		v, e, a string
		kind    error
		text    string
	}{
		{"unix:100", "unix:200", "unix:100", nil, ""},
		{"unix:+100", "unix:200", "unix:199", nil, ""},
		{"unix:100", "unix:200", "unix:200", ErrPreflightReceiptExpired, "preflight receipt p expired at unix:200; checked at unix:200"},
		{"unix:100", "unix:200", "unix:99", ErrPreflightReceiptNotYetValid, "preflight receipt p is not valid yet at unix:99; validated at unix:100"},
		{"unix:200", "unix:200", "unix:200", ErrPreflightReceiptInvalidWindow, "preflight receipt p has invalid validity window"},
		{"100", "unix:200", "unix:150", ErrInvalidTimestamp, "field preflight_receipts[].validated_at must be a unix timestamp marker: 100"},
		{"unix:100", "unix:-1", "unix:150", ErrInvalidTimestamp, "field preflight_receipts[].expires_at must be a unix timestamp marker: unix:-1"},
		{"unix:100", "unix:200", "unix: 1", ErrInvalidTimestamp, "field preflight_receipts.as_of must be a unix timestamp marker: unix: 1"},
		{"", "unix:200", "unix:150", ErrEmptyField, "field preflight_receipts[].validated_at must not be empty"},
	}
	for _, c := range cases {
		err := validateWindow("p", c.v, c.e, c.a)
		if c.kind == nil {
			assert.NoError(t, err, c)
			continue
		}
		require.ErrorIs(t, err, c.kind, c)
		assert.EqualError(t, err, c.text)
	}
}

func TestReceiptHeaderChecks(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(r *ControlAuthorityReceipt)
		kind   error
		text   string
	}{
		{"plan id empty", func(r *ControlAuthorityReceipt) { r.PlanID = "" }, ErrEmptyField, "field authority_receipts[].plan_id must not be empty"},
		{"preflight id empty", func(r *ControlAuthorityReceipt) { r.PreflightID = "" }, ErrEmptyField, "field preflight_id must not be empty"},
		{"bad target", func(r *ControlAuthorityReceipt) { r.TargetCanisterID = "x" }, ErrInvalidPrincipal, "field authority_receipts[].target_canister_id must be a valid principal: x"},
		{"empty message", func(r *ControlAuthorityReceipt) { r.Message = Str("") }, ErrEmptyField, "field authority_receipts[].message must not be empty"},
		{"plan mismatch", func(r *ControlAuthorityReceipt) { r.PlanID = "plan-x" }, ErrAuthorityReceiptPlanMismatch, "authority receipt plan id plan-x does not match plan plan-001"},
		{"preflight mismatch", func(r *ControlAuthorityReceipt) { r.PreflightID = "pf-x" }, ErrAuthorityReceiptPreflightMismatch, "authority receipt preflight id pf-x does not match preflight preflight-001"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := controlReceipt(app, provenRootControl())
			c.mutate(&r)
			err := subtreePlan().ApplyControlAuthorityReceipts(preflightID, []ControlAuthorityReceipt{r}, asOf)
			require.ErrorIs(t, err, c.kind)
			assert.EqualError(t, err, c.text)
		})
	}
	r := controlReceipt(app, provenRootControl())
	err := subtreePlan().ApplyControlAuthorityReceipts(preflightID, []ControlAuthorityReceipt{r, r}, asOf)
	assert.EqualError(t, err, "duplicate authority receipt for target "+app)
	err = subtreePlan().ApplySnapshotReadAuthorityReceipts(preflightID, nil, asOf)
	assert.EqualError(t, err, "target "+app+" has no snapshot read authority receipt")
}

func TestTopologyAndQuiescenceReceiptChecks(t *testing.T) {
	p := subtreePlan()
	topo := topologyReceipt(p)
	topo.TopologyHashBeforeQuiesce = "abc"
	err := p.ValidateExecutionPreflightReceipts(topo, quiescenceReceipt(p), preflightID, asOf)
	assert.EqualError(t, err, "field topology_receipt.topology_hash_before_quiesce must be a 64-character hex topology hash: abc")

	topo = topologyReceipt(p)
	topo.Targets[0].Depth = 2
	err = p.ValidateExecutionPreflightReceipts(topo, quiescenceReceipt(p), preflightID, asOf)
	assert.EqualError(t, err, "topology preflight targets do not match selected plan targets")

	topo = topologyReceipt(p)
	topo.PlanID = "other"
	err = p.ValidateExecutionPreflightReceipts(topo, quiescenceReceipt(p), preflightID, asOf)
	assert.EqualError(t, err, "preflight receipt plan id other does not match plan plan-001")

	q := quiescenceReceipt(p)
	q.QuiescencePolicy = QuiescenceCrashConsistent
	err = p.ValidateExecutionPreflightReceipts(topologyReceipt(p), q, preflightID, asOf)
	assert.EqualError(t, err, "quiescence preflight policy does not match plan")

	err = p.ValidateExecutionPreflightReceipts(topologyReceipt(p), quiescenceReceipt(p), preflightID, "later")
	assert.EqualError(t, err, "field preflight.as_of must be a unix timestamp marker: later")
}
