package manifest

import (
	"fmt"
	"testing"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runInput maps a plan and a download journal onto BuildInput the way
// core/runner's finalize-manifest does (reference §4.5).
func runInput(t *testing.T, p *plan.BackupPlan, j *journal.DownloadJournal) BuildInput {
	t.Helper()
	in := BuildInput{
		BackupID: p.RunID, CreatedAt: "unix:1778594400", ToolName: "canic", ToolVersion: "0.35.1",
		Environment: p.Network, RootCanister: p.RootCanisterID,
		TopologyHashInput:     PlanTopologyInput(p.PlanID),
		DiscoveryTopologyHash: p.TopologyHashBeforeQuiesce,
	}
	for _, tg := range p.Targets {
		mi := MemberInput{
			Role: tg.Role, CanisterID: tg.CanisterID, ParentCanisterID: tg.ParentCanisterID,
			IdentityMode: IdentityMode(tg.IdentityMode), ModuleHash: tg.ExpectedModuleHash,
		}
		if tg.ControlAuthority.Source.Kind == plan.ControlRootController {
			mi.ControllerHint = str(p.RootCanisterID)
		}
		for _, e := range j.Artifacts {
			if e.CanisterID == tg.CanisterID && e.State == journal.ArtifactState("Durable") {
				mi.Artifact = &ArtifactRecord{SnapshotID: e.SnapshotID, ArtifactPath: e.ArtifactPath, ChecksumAlgorithm: e.ChecksumAlgorithm, Checksum: e.Checksum}
				break
			}
		}
		in.Members = append(in.Members, mi)
	}
	return in
}

func goldenPlan(t *testing.T, rel string) *plan.BackupPlan {
	t.Helper()
	var p plan.BackupPlan
	require.NoError(t, wire.Unmarshal(golden.Read(t, rel), &p))
	return &p
}

// The builder reproduces the golden manifest byte for byte from the golden
// plan and download journal.
func TestBuildReproducesGoldenManifest(t *testing.T) {
	p := goldenPlan(t, "backup/backup-plan.json")
	j, err := journal.DecodeDownloadJournal(golden.Read(t, "backup/download-journal.json"))
	require.NoError(t, err)
	m, err := Build(runInput(t, p, j))
	require.NoError(t, err)
	out, err := m.Encode()
	require.NoError(t, err)
	assert.Equal(t, string(golden.Read(t, "backup/fleet-backup-manifest.json")), string(out))
}

// durableJournal fakes a completed download journal for every target.
func durableJournal(p *plan.BackupPlan) *journal.DownloadJournal {
	j := &journal.DownloadJournal{BackupID: p.RunID}
	for i, tg := range p.Targets {
		sum := fmt.Sprintf("%064x", i+1)
		j.Artifacts = append(j.Artifacts, journal.ArtifactJournalEntry{
			CanisterID: tg.CanisterID, SnapshotID: fmt.Sprintf("snap-%d", i), State: journal.ArtifactState("Durable"),
			ArtifactPath: tg.CanisterID, ChecksumAlgorithm: "sha256", Checksum: &sum, UpdatedAt: "unix:1",
		})
	}
	return j
}

// 0.35.1 failed finalize-manifest with "subtree backup unit backup-selection
// is not connected" for a non-root-fleet plan of a root with two children
// (golden extra/nonroot-fleet-execute-outcome.txt). The port succeeds with
// one unit per connected part of the selection.
func TestBuildNonRootFleetWithTwoChildrenSucceeds(t *testing.T) {
	p := goldenPlan(t, "backup/extra/dry-run.backup-plan.json")
	require.Equal(t, plan.ScopeNonRootFleet, p.SelectedScopeKind)
	in := runInput(t, p, durableJournal(p))

	// The 0.35.1 unit really is invalid.
	old := in
	old.Units = []BackupUnit{{UnitID: RunUnitID, Kind: UnitSubtree, Roles: []string{"app", "user_hub"}}}
	_, err := Build(old)
	require.Error(t, err)
	assert.Equal(t, string(golden.Read(t, "backup/extra/nonroot-fleet-execute-outcome.txt")), "ERR "+err.Error())

	m, err := Build(in)
	require.NoError(t, err)
	assert.Equal(t, []BackupUnit{
		{UnitID: "backup-selection-1", Kind: UnitSingle, Roles: []string{"app"}},
		{UnitID: "backup-selection-2", Kind: UnitSingle, Roles: []string{"user_hub"}},
	}, m.Consistency.BackupUnits)
	assert.Equal(t, "r7inp-6aaaa-aaaaa-aaabq-cai", *m.Fleet.Members[0].ControllerHint, "root-controller targets get the root as hint")
}

func fm(role, id string, parent *string) FleetMember {
	return FleetMember{Role: role, CanisterID: id, ParentCanisterID: parent}
}

func TestDeriveUnits(t *testing.T) {
	const (
		root = "r7inp-6aaaa-aaaaa-aaabq-cai"
		a1   = "renrk-eyaaa-aaaaa-aaada-cai"
		a2   = "rno2w-sqaaa-aaaaa-aaacq-cai"
		w1   = "aaaaa-aa"
		w2   = "rrkah-fqaaa-aaaaa-aaaaq-cai"
	)
	cases := []struct {
		name    string
		members []FleetMember
		want    []BackupUnit
	}{
		{"one target is single", []FleetMember{fm("app", a1, str(root))},
			[]BackupUnit{{UnitID: "u", Kind: UnitSingle, Roles: []string{"app"}}}},
		{"connected tree is one subtree", []FleetMember{fm("root", root, nil), fm("app", a1, str(root)), fm("hub", a2, str(root))},
			[]BackupUnit{{UnitID: "u", Kind: UnitSubtree, Roles: []string{"root", "app", "hub"}}}},
		{"sibling subtrees are separate", []FleetMember{fm("app", a1, str(root)), fm("worker", w1, str(a1)), fm("hub", a2, str(root))},
			[]BackupUnit{{UnitID: "u-1", Kind: UnitSubtree, Roles: []string{"app", "worker"}}, {UnitID: "u-2", Kind: UnitSingle, Roles: []string{"hub"}}}},
		{"repeated role is listed once", []FleetMember{fm("app", a1, str(root)), fm("worker", w1, str(a1)), fm("worker", w2, str(a1))},
			[]BackupUnit{{UnitID: "u", Kind: UnitSubtree, Roles: []string{"app", "worker"}}}},
		{"role shared across subtrees merges them without a subtree claim", []FleetMember{fm("app", a1, str(root)), fm("worker", w1, str(a1)), fm("app", a2, str(root)), fm("worker", w2, str(a2))},
			[]BackupUnit{{UnitID: "u", Kind: UnitSingle, Roles: []string{"app", "worker"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, DeriveUnits("u", tc.members))
		})
	}
}

// A plan whose targets repeat a role (several worker replicas) used to fail
// with DuplicateBackupUnitRole; the built manifest now validates.
func TestBuildWithRepeatedRolesValidates(t *testing.T) {
	sum := fmt.Sprintf("%064x", 7)
	art := func(id string) *ArtifactRecord {
		return &ArtifactRecord{SnapshotID: "s-" + id, ArtifactPath: id, ChecksumAlgorithm: "sha256", Checksum: &sum}
	}
	root := "r7inp-6aaaa-aaaaa-aaabq-cai"
	in := BuildInput{
		BackupID: "run-x", CreatedAt: "unix:1", ToolName: "canic", ToolVersion: "0.35.1", Environment: "local",
		RootCanister: root, TopologyHashInput: PlanTopologyInput("plan-x"), DiscoveryTopologyHash: sum,
		Members: []MemberInput{
			{Role: str("root"), CanisterID: root, IdentityMode: IdentityRelocatable, Artifact: art(root)},
			{Role: str("worker"), CanisterID: "renrk-eyaaa-aaaaa-aaada-cai", ParentCanisterID: &root, IdentityMode: IdentityRelocatable, Artifact: art("a")},
			{CanisterID: "rno2w-sqaaa-aaaaa-aaacq-cai", ParentCanisterID: &root, IdentityMode: IdentityRelocatable, Artifact: art("b")},
			{Role: str("worker"), CanisterID: "rrkah-fqaaa-aaaaa-aaaaq-cai", ParentCanisterID: &root, IdentityMode: IdentityRelocatable, Artifact: art("c")},
		},
	}
	m, err := Build(in)
	require.NoError(t, err)
	assert.Equal(t, []BackupUnit{{UnitID: RunUnitID, Kind: UnitSubtree, Roles: []string{"root", "worker", "member-2"}}}, m.Consistency.BackupUnits)
	assert.Equal(t, "member-2", m.Fleet.Members[2].Role)

	in.Members[1].Artifact = nil
	_, err = Build(in)
	assert.ErrorIs(t, err, ErrMissingArtifact)
	assert.EqualError(t, err, "manifest member renrk-eyaaa-aaaaa-aaada-cai has no durable artifact")
}
