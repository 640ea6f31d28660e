package registry

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ids(ts []SnapshotTarget) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.CanisterID
	}
	return out
}

func TestRegistryTargetsIncludeDirectChildren(t *testing.T) {
	got, err := TargetsFromRegistry(wantWrapped(), rootText, false)
	require.NoError(t, err)
	assert.Equal(t, []string{rootText, appText}, ids(got))
}

func TestRegistryTargetsIncludeRecursiveChildren(t *testing.T) {
	got, err := TargetsFromRegistry(wantWrapped(), rootText, true)
	require.NoError(t, err)
	assert.Equal(t, []string{rootText, appText, workerText}, ids(got))
	assert.Equal(t, "01ab", *got[1].ModuleHash)
	assert.Equal(t, rootText, *got[1].ParentCanisterID)
}

func TestRegistryTargetsBreadthFirstSiblingsInRegistryOrder(t *testing.T) {
	reg := []Entry{
		{Pid: "a"}, {Pid: "b1", ParentPid: strPtr("a")}, {Pid: "c1", ParentPid: strPtr("b1")},
		{Pid: "b2", ParentPid: strPtr("a")}, {Pid: "c2", ParentPid: strPtr("b2")},
	}
	got, err := TargetsFromRegistry(reg, "a", true)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b1", "b2", "c1", "c2"}, ids(got))
}

func TestRegistryTargetsUnknownCanister(t *testing.T) {
	_, err := TargetsFromRegistry(wantWrapped(), "zzzzz", true)
	var nf *CanisterNotInRegistryError
	require.ErrorAs(t, err, &nf)
	assert.EqualError(t, err, "registry JSON did not contain the requested canister zzzzz")
}

func TestDepthsOverWholeRegistry(t *testing.T) {
	reg := []Entry{
		{Pid: "root"}, {Pid: "a", ParentPid: strPtr("root")}, {Pid: "b", ParentPid: strPtr("a")},
		{Pid: "orphan", ParentPid: strPtr("missing")},
		{Pid: "x", ParentPid: strPtr("y")}, {Pid: "y", ParentPid: strPtr("x")},
	}
	d := Depths(reg)
	assert.Equal(t, uint32(0), d["root"])
	assert.Equal(t, uint32(1), d["a"])
	assert.Equal(t, uint32(2), d["b"])
	assert.Equal(t, uint32(1), d["orphan"], "a parent outside the registry counts one step")
	assert.Equal(t, uint32(2), d["x"], "cycle guard stops the walk")
}

func TestRoles(t *testing.T) {
	assert.Equal(t, "app", MemberRole(3, strPtr("app")))
	assert.Equal(t, "member-3", MemberRole(3, nil))
	assert.Equal(t, "root", SnapshotRole("x", 0, SnapshotTarget{CanisterID: "x"}))
	assert.Equal(t, "member-2", SnapshotRole("x", 2, SnapshotTarget{CanisterID: "y"}))
	assert.Equal(t, "hub", SnapshotRole("x", 2, SnapshotTarget{CanisterID: "x", Role: strPtr("hub")}))
	assert.Equal(t, "fallback", Entry{}.RoleOr("fallback"))
}
