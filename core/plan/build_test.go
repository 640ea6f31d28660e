package plan

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/registry"
)

// member scope includes the node and its direct children (0.35.1 semantics).
func TestMemberScopeIncludesDirectChildrenOnly(t *testing.T) {
	reg := append(testRegistry(), registry.Entry{Pid: otherWorker, Role: Str("leaf"), ParentPid: Str(worker)})
	in := planInput()
	in.Registry, in.SelectedScopeKind, in.IncludeDescendants = reg, ScopeMember, false
	p, err := Build(in)
	require.NoError(t, err)
	assert.Equal(t, []string{app, worker}, targetIDs(p))
	in.IncludeDescendants = true
	p, err = Build(in)
	require.NoError(t, err)
	assert.Equal(t, []string{app, worker, otherWorker}, targetIDs(p))
	assert.Equal(t, []uint32{1, 2, 3}, []uint32{p.Targets[0].Depth, p.Targets[1].Depth, p.Targets[2].Depth})
}

func TestMaintenanceRootBuildsWholeFleet(t *testing.T) {
	in := planInput()
	in.SelectedCanisterID, in.SelectedScopeKind = Str(root), ScopeMaintenanceRoot
	p, err := Build(in)
	require.NoError(t, err)
	assert.True(t, p.RootIncluded)
	assert.Equal(t, []string{root, app, worker}, targetIDs(p))
	assert.Len(t, p.Phases, 20)
	assert.True(t, p.RequiresRootController)
}

// Fix: 0.35.1 never checked that a maintenance-root selection is the root.
func TestMaintenanceRootMustSelectFleetRoot(t *testing.T) {
	in := planInput()
	in.SelectedScopeKind = ScopeMaintenanceRoot
	_, err := Build(in)
	require.ErrorIs(t, err, ErrMaintenanceRootNotRoot)
	assert.Contains(t, err.Error(), app)
}

// Fix: 0.35.1 let the last duplicate registry entry win silently.
func TestBuildRejectsDuplicateRegistryPid(t *testing.T) {
	in := planInput()
	in.Registry = append(in.Registry, registry.Entry{Pid: worker, Role: Str("again"), ParentPid: Str(root)})
	_, err := Build(in)
	require.ErrorIs(t, err, ErrDuplicateRegistryPid)
	assert.EqualError(t, err, "registry lists a canister twice: registry entry [3] repeats pid "+worker)
}

func TestBuildNeedsSelectedCanister(t *testing.T) {
	in := planInput()
	in.SelectedCanisterID = nil
	_, err := Build(in)
	assert.EqualError(t, err, "field selected_canister_id must not be empty")
}

func TestBuildUnknownSelectedCanister(t *testing.T) {
	in := planInput()
	in.SelectedCanisterID = Str(otherWorker)
	_, err := Build(in)
	var nf *registry.CanisterNotInRegistryError
	require.ErrorAs(t, err, &nf)
	assert.EqualError(t, err, "registry JSON did not contain the requested canister "+otherWorker)
}

// 0.35.1 turned module_hash [] into "", which then failed validation here.
func TestBuildRejectsEmptyModuleHash(t *testing.T) {
	in := planInput()
	in.Registry[1].ModuleHash = Str("")
	_, err := Build(in)
	assert.EqualError(t, err, "field targets[].expected_module_hash must not be empty")
}

func TestPhasesTopDownByDepthThenID(t *testing.T) {
	targets := []BackupTarget{
		{CanisterID: "c", Depth: 2}, {CanisterID: "b", Depth: 1}, {CanisterID: "a", Depth: 2},
	}
	var ids []string
	for _, ph := range BuildPhases(targets) {
		ids = append(ids, ph.OperationID)
	}
	assert.Equal(t, []string{
		"validate-topology", "validate-control-authority", "validate-snapshot-read-authority", "validate-quiescence-policy",
		"stop-b", "stop-a", "stop-c", "snapshot-b", "snapshot-a", "snapshot-c",
		"start-c", "start-a", "start-b",
		"download-c", "verify-c", "download-b", "verify-b", "download-a", "verify-a", "finalize-manifest",
	}, ids)
}

func TestCreatePolicy(t *testing.T) {
	c, r, q := CreatePolicy(true)
	assert.Equal(t, ControlAuthority{Source: Source(ControlRootController), Evidence: EvidenceDeclared}, c)
	assert.Equal(t, SnapshotReadAuthority{Source: ReadSourceRootConfiguredRead, Evidence: EvidenceDeclared}, r)
	assert.Equal(t, QuiescenceRootCoordinated, q)
	c, r, q = CreatePolicy(false)
	assert.Equal(t, ControlAuthority{Source: Source(ControlOperatorController), Evidence: EvidenceProven}, c)
	assert.Equal(t, SnapshotReadAuthority{Source: ReadSourceOperatorController, Evidence: EvidenceProven}, r)
	assert.Equal(t, QuiescenceCrashConsistent, q)
}

func TestCreateExecutePlanIsExecutable(t *testing.T) {
	p, err := Create(CreateInput{Fleet: "demo", Network: "local", RootCanisterID: gRoot,
		Registry: goldenRegistry(), Subtree: "user_hub", Now: goldenNow})
	require.NoError(t, err)
	assert.False(t, p.RequiresRootController)
	require.NoError(t, p.ValidateForExecution())
	assert.Equal(t, []string{gHub}, targetIDs(p))
}

func TestCreatePropagatesSelectorAndRegistryErrors(t *testing.T) {
	_, err := Create(CreateInput{Fleet: "demo", Network: "local", RootCanisterID: gRoot,
		Registry: goldenRegistry(), Subtree: "nope", Now: goldenNow})
	assert.EqualError(t, err, "backup selector nope did not match a live topology node")
	_, err = Create(CreateInput{Fleet: "demo", Network: "local", RootCanisterID: gRoot,
		Registry: []registry.Entry{{Pid: "bad"}}, Now: goldenNow})
	assert.EqualError(t, err, "registry entry bad is not a valid principal")
}

func TestPlanAndRunIDs(t *testing.T) {
	assert.Equal(t, "plan-demo-20260512-140000", NewPlanID("demo", goldenNow))
	assert.Equal(t, "plan-my-fleet-19700101-000000", NewPlanID("my fleet", timeUnix(-5)))
	assert.Equal(t, "run-demo-20260512-140000", RunIDFor("plan-demo-20260512-140000"))
	// Fix: 0.35.1 replaced every "plan-", giving run-run-a-1.
	assert.Equal(t, "run-plan-a-1", RunIDFor("plan-plan-a-1"))
	assert.Equal(t, "unknown", FileSafeComponent("///"))
	assert.Equal(t, "a.b_c", FileSafeComponent("-a.b_c-"))
	assert.Equal(t, "caf", FileSafeComponent("café"))
}
