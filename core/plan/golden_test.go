package plan

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/registry"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/golden"
)

const (
	gRoot = "r7inp-6aaaa-aaaaa-aaabq-cai"
	gApp  = "renrk-eyaaa-aaaaa-aaada-cai"
	gHub  = "rno2w-sqaaa-aaaaa-aaacq-cai"
)

var planGoldens = []string{
	"backup/backup-plan.json",
	"backup/extra/initial.backup-plan.json",
	"backup/extra/dry-run.backup-plan.json",
	"backup/extra/dry-run-subtree.backup-plan.json",
}

func TestGoldenPlansRoundTripByteIdentical(t *testing.T) {
	for _, rel := range planGoldens {
		t.Run(rel, func(t *testing.T) {
			data := golden.Read(t, rel)
			var p BackupPlan
			require.NoError(t, wire.Unmarshal(data, &p))
			require.NoError(t, p.Validate())
			out, err := wire.MarshalPretty(&p)
			require.NoError(t, err)
			assert.Equal(t, string(data), string(out))
		})
	}
}

// goldenRegistry is the main golden set's registry (compat README,
// reference Appendix B), in registry order.
func goldenRegistry() []registry.Entry {
	return []registry.Entry{
		{Pid: gRoot, Role: Str("root"), Kind: Str("root"), ModuleHash: Str(strings.Repeat("1", 64))},
		{Pid: gApp, Role: Str("app"), ParentPid: Str(gRoot), ModuleHash: Str(strings.Repeat("2", 64))},
		{Pid: gHub, Role: Str("user_hub"), ParentPid: Str(gRoot), ModuleHash: Str(strings.Repeat("3", 64))},
	}
}

// goldenNow is the pinned clock of the goldens (unix:1778594400).
var goldenNow = timeUnix(1778594400)

func assertGolden(t *testing.T, rel string, p *BackupPlan) {
	t.Helper()
	out, err := wire.MarshalPretty(p)
	require.NoError(t, err)
	assert.Equal(t, string(golden.Read(t, rel)), string(out))
}

func TestBuildReproducesGoldenMaintenanceRootPlan(t *testing.T) {
	control, read, quiescence := CreatePolicy(false)
	p, err := Build(BuildInput{
		PlanID: "plan-demo-20260512-140000", RunID: "run-demo-20260512-140000",
		Fleet: "demo", Network: "local", RootCanisterID: gRoot,
		SelectedCanisterID: Str(gRoot), SelectedScopeKind: ScopeMaintenanceRoot, IncludeDescendants: true,
		TopologyHashBeforeQuiesce: "11695234a12d82b74a60e25079e4671b7d9cc1b72b52445b674470c2b29961a8",
		Registry:                  goldenRegistry(),
		ControlAuthority:          control, SnapshotReadAuthority: read, QuiescencePolicy: quiescence,
		IdentityMode: IdentityRelocatable,
	})
	require.NoError(t, err)
	assertGolden(t, "backup/backup-plan.json", p)
	assertGolden(t, "backup/extra/initial.backup-plan.json", p)
}

func TestCreateReproducesGoldenDryRunPlan(t *testing.T) {
	p, err := Create(CreateInput{Fleet: "demo", Network: "local", RootCanisterID: gRoot,
		Registry: goldenRegistry(), DryRun: true, Now: goldenNow})
	require.NoError(t, err)
	assertGolden(t, "backup/extra/dry-run.backup-plan.json", p)
}

func TestCreateReproducesGoldenDryRunSubtreePlan(t *testing.T) {
	p, err := Create(CreateInput{Fleet: "demo", Network: "local", RootCanisterID: gRoot,
		Registry: goldenRegistry(), Subtree: "app", DryRun: true, Now: goldenNow})
	require.NoError(t, err)
	assertGolden(t, "backup/extra/dry-run-subtree.backup-plan.json", p)
}

func TestGoldenPlanPhaseCountIsFivePlusFivePerTarget(t *testing.T) {
	for _, rel := range planGoldens {
		var p BackupPlan
		require.NoError(t, wire.Unmarshal(golden.Read(t, rel), &p))
		assert.Len(t, p.Phases, 5+5*len(p.Targets), rel)
		assert.Equal(t, p.Phases, BuildPhases(p.Targets), rel)
	}
}
