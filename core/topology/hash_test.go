package topology

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/registry"
	"github.com/canic-backup/canic-backup/internal/golden"
)

const (
	root   = "aaaaa-aa"
	p2     = "renrk-eyaaa-aaaaa-aaada-cai"
	p3     = "rno2w-sqaaa-aaaaa-aaacq-cai"
	gRoot  = "r7inp-6aaaa-aaaaa-aaabq-cai"
	hash64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

func s(v string) *string { return &v }

func rec(pid string, parent *string, role string) Record {
	return Record{Pid: pid, ParentPid: parent, Role: role}
}

func TestTopologyHashIsOrderIndependent(t *testing.T) {
	a, err := HashRecords([]Record{rec(p2, s(root), "app"), rec(root, nil, "root")})
	require.NoError(t, err)
	b, err := HashRecords([]Record{rec(root, nil, "root"), rec(p2, s(root), "app")})
	require.NoError(t, err)
	assert.Equal(t, a.Hash, b.Hash)
	assert.Len(t, a.Hash, 64)
	assert.Equal(t, "sha256", a.Algorithm)
	assert.Equal(t, "sorted(pid,parent_pid,role,module_hash)", a.Input)
}

func TestTopologyHashChangesWhenParentChanges(t *testing.T) {
	a, err := HashRecords([]Record{rec(p2, s(root), "app")})
	require.NoError(t, err)
	b, err := HashRecords([]Record{rec(p2, s(p3), "app")})
	require.NoError(t, err)
	assert.NotEqual(t, a.Hash, b.Hash)
}

func TestCanonicalInputUsesExplicitNullMarkers(t *testing.T) {
	in, err := CanonicalInput([]Record{rec(root, nil, "root")})
	require.NoError(t, err)
	assert.Contains(t, in, "parent_pid=null")
	assert.Contains(t, in, "module_hash=null")
	assert.Equal(t, "pid=aaaaa-aa|parent_pid=null|role=root|module_hash=null", in)
}

func TestCanonicalInputRendersPrincipalsCanonically(t *testing.T) {
	in, err := CanonicalInput([]Record{rec(strings.ToUpper(p2), s(strings.ToUpper(root)), "app")})
	require.NoError(t, err)
	assert.Equal(t, "pid="+p2+"|parent_pid="+root+"|role=app|module_hash=null", in)
}

func TestCanonicalInputRejectsInvalidPrincipal(t *testing.T) {
	_, err := CanonicalInput([]Record{rec("not-a-principal", nil, "x")})
	require.ErrorIs(t, err, ErrInvalidPrincipal)
	assert.EqualError(t, err, "topology record field pid must be a valid principal: not-a-principal")
	_, err = CanonicalInput([]Record{rec(root, s("renrk-eyaaa-aaaaa-aaada-ca"), "x")})
	assert.EqualError(t, err, "topology record field parent_pid must be a valid principal: renrk-eyaaa-aaaaa-aaada-ca")
}

// goldenRegistry is the registry of the main golden set (compat README and
// reference Appendix B): root + app + user_hub with module hashes 1/2/3 x64.
func goldenRegistry() []registry.Entry {
	return []registry.Entry{
		{Pid: gRoot, Role: s("root"), Kind: s("root"), ModuleHash: s(strings.Repeat("1", 64))},
		{Pid: p2, Role: s("app"), ParentPid: s(gRoot), ModuleHash: s(strings.Repeat("2", 64))},
		{Pid: p3, Role: s("user_hub"), ParentPid: s(gRoot), ModuleHash: s(strings.Repeat("3", 64))},
	}
}

func TestGoldenTopologyHashReproduced(t *testing.T) {
	wantInput := string(golden.Read(t, "backup/extra/topology-canonical-input.txt"))
	wantHash := strings.TrimSpace(string(golden.Read(t, "backup/extra/topology-hash.txt")))
	records, err := RegistryRecords(goldenRegistry())
	require.NoError(t, err)
	in, err := CanonicalInput(records)
	require.NoError(t, err)
	assert.Equal(t, strings.TrimRight(wantInput, "\n"), in)
	h, err := HashRegistry(goldenRegistry())
	require.NoError(t, err)
	assert.Equal(t, wantHash, h.Hash)
	assert.Equal(t, "11695234a12d82b74a60e25079e4671b7d9cc1b72b52445b674470c2b29961a8", h.Hash)
}

func TestHashRegistryNamesInvalidRegistryPrincipal(t *testing.T) {
	_, err := HashRegistry([]registry.Entry{{Pid: "bogus"}})
	assert.EqualError(t, err, "registry entry bogus is not a valid principal")
	_, err = HashRegistry([]registry.Entry{{Pid: root, ParentPid: s("bad-parent")}})
	assert.EqualError(t, err, "registry entry bad-parent is not a valid principal")
	var ip *InvalidRegistryPrincipalError
	require.ErrorAs(t, err, &ip)
	assert.Equal(t, "bad-parent", ip.CanisterID)
}

func TestHashRegistryUsesEmptyRoleWhenAbsent(t *testing.T) {
	in, err := RegistryRecords([]registry.Entry{{Pid: root}})
	require.NoError(t, err)
	assert.Equal(t, "", in[0].Role)
}

func TestCanonicalPrincipal(t *testing.T) {
	for _, ok := range []string{root, p2, p3, gRoot, "AAAAA-AA", "RENRK-EYAAA-AAAAA-AAADA-CAI"} {
		_, err := canonicalPrincipal(ok)
		assert.NoError(t, err, ok)
	}
	for _, bad := range []string{"", "aaaaa", "aaaaaaa", "renrkeyaaa-aaaaa-aaada-cai", "renrk-eyaaa-aaaaa-aaada-cay", "aaaaa-aa-", "-aaaaa-aa"} {
		_, err := canonicalPrincipal(bad)
		assert.Error(t, err, bad)
	}
}
