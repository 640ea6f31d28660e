package topology

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/registry"
)

const otherWorker = "rdmx6-jaaaa-aaaaa-aaadq-cai"

func selectorRegistry() []registry.Entry {
	return []registry.Entry{
		{Pid: root, Role: s("root"), Kind: s("root")},
		{Pid: p2, Role: s("app"), Kind: s("singleton"), ParentPid: s(root)},
		{Pid: p3, Role: s("worker"), Kind: s("replica"), ParentPid: s(p2)},
	}
}

func TestResolvesPrincipalAndRoleSelectors(t *testing.T) {
	got, err := ResolveSelector(selectorRegistry(), p2)
	require.NoError(t, err)
	assert.Equal(t, p2, got)
	got, err = ResolveSelector(selectorRegistry(), "app")
	require.NoError(t, err)
	assert.Equal(t, p2, got)
}

func TestRejectsAmbiguousRoleSelector(t *testing.T) {
	reg := append(selectorRegistry(), registry.Entry{Pid: otherWorker, Role: s("worker"), Kind: s("replica"), ParentPid: s(p2)})
	_, err := ResolveSelector(reg, "worker")
	require.ErrorIs(t, err, ErrAmbiguousSelector)
	var se *SelectorError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "worker", se.Selector)
	assert.Equal(t, []string{p3, otherWorker}, se.Matches)
	assert.EqualError(t, err, `backup selector worker matched multiple canisters: ["`+p3+`", "`+otherWorker+`"]`)
}

func TestRejectsUnknownSelector(t *testing.T) {
	_, err := ResolveSelector(selectorRegistry(), "missing-role")
	require.ErrorIs(t, err, ErrUnknownSelector)
	assert.EqualError(t, err, "backup selector missing-role did not match a live topology node")
	_, err = ResolveSelector(selectorRegistry(), otherWorker)
	require.ErrorIs(t, err, ErrUnknownSelector)
}

func TestRejectsEmptySelector(t *testing.T) {
	_, err := ResolveSelector(selectorRegistry(), "  ")
	require.ErrorIs(t, err, ErrEmptySelector)
	assert.EqualError(t, err, "field selector must not be empty")
}

// 0.35.1 accepted an upper-case principal selector but never matched it.
func TestUpperCasePrincipalSelectorMatches(t *testing.T) {
	got, err := ResolveSelector(selectorRegistry(), strings.ToUpper(p2))
	require.NoError(t, err)
	assert.Equal(t, p2, got, "returns the registry's own spelling")
}
