package sim_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go/certification/hashtree"
	"github.com/aviate-labs/agent-go/identity"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/canic-backup/canic-backup/driver/agent/certificate"
	agent "github.com/canic-backup/canic-backup/driver/agent/ingress"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMainnetShapeSpreadsTheFleetOverApplicationSubnets checks the default
// shape: an NNS subnet holding none of the fleet, and two application
// subnets, each canister inside its subnet's range, as sim.json says.
func TestMainnetShapeSpreadsTheFleetOverApplicationSubnets(t *testing.T) {
	s := simtest.Start(t, sim.Options{Fleet: sim.Fleet{Name: "spread", Children: 3, Depth: 1, Size: 1 << 16, Seed: 2}})
	info := s.Info()
	require.Len(t, info.Subnets, sim.DefaultSubnets)
	assert.Equal(t, "nns", info.Subnets[0].Kind)
	assert.Equal(t, info.SubnetID, info.Subnets[0].ID, "subnet_id stays the root (NNS) subnet")
	assert.Equal(t, info.RootKeyHex, info.Subnets[0].PublicKeyHex)
	perSubnet := map[string]int{}
	for _, id := range info.CanisterIDs {
		sid := info.CanisterSubnets[id]
		require.NotEmpty(t, sid, id)
		assert.NotEqual(t, info.SubnetID, sid, "%s: no fleet canister on the NNS subnet", id)
		perSubnet[sid]++
		p, err := principal.Decode(id)
		require.NoError(t, err)
		assert.Equal(t, sid, s.SubnetOf(p).String())
		for _, sn := range info.Subnets {
			if sn.ID != sid {
				continue
			}
			lo, _ := principal.Decode(sn.RangeStart)
			hi, _ := principal.Decode(sn.RangeEnd)
			assert.True(t, string(lo.Raw) <= string(p.Raw) && string(p.Raw) <= string(hi.Raw), "%s lies in %s's range", id, sid)
		}
	}
	assert.Len(t, perSubnet, 2, "the fleet is on both application subnets")
	assert.Equal(t, info.CanisterSubnets[info.RootCanisterID], info.Subnets[1].ID, "the root goes first, on the first application subnet")
	for _, sn := range info.Subnets[1:] {
		assert.Equal(t, "application", sn.Kind)
		assert.NotEqual(t, info.RootKeyHex, sn.PublicKeyHex, "each application subnet has its own key")
	}

	path := filepath.Join(t.TempDir(), sim.InfoFileName)
	require.NoError(t, sim.WriteInfo(path, info))
	back, err := sim.ReadInfo(path)
	require.NoError(t, err)
	assert.Equal(t, info.CanisterSubnets, back.CanisterSubnets)
	assert.Equal(t, info.Subnets, back.Subnets)
}

// TestReadStateDelegationFormByEndpoint checks that v2 read_state carries
// the flat ranges, v3 the sharded ones, and that both verify for the
// canister and are refused for a canister of the other application subnet.
func TestReadStateDelegationFormByEndpoint(t *testing.T) {
	s := simtest.Start(t, sim.Options{})
	root, child := s.Canisters()[0], s.Canisters()[1]
	require.NotEqual(t, s.SubnetOf(root), s.SubnetOf(child))
	anon := &identity.AnonymousIdentity{}
	req := agent.Request{Type: agent.RequestTypeReadState, Sender: anon.Sender(),
		IngressExpiry: uint64(time.Now().Add(time.Minute).UnixNano()), Paths: [][]hashtree.Label{{hashtree.Label("time")}}}
	_, data := envelopeBytes(t, anon, req)
	for ver, flat := range map[string]bool{"v2": true, "v3": false} {
		code, body := post(t, fmt.Sprintf("%s/api/%s/canister/%s/read_state", s.URL(), ver, child), data)
		require.Equal(t, http.StatusOK, code, string(body))
		var ans struct {
			Certificate []byte `cbor:"certificate"`
		}
		require.NoError(t, cbor.Unmarshal(body, &ans))
		c, err := certificate.Verify(ans.Certificate, child, s.RootKey())
		require.NoError(t, err, ver)
		require.NotNil(t, c.Delegation, ver)
		inner, err := certificate.Decode(c.Delegation.Certificate)
		require.NoError(t, err)
		sid := c.Delegation.SubnetID
		_, flatErr := inner.Tree.Lookup(hashtree.Label("subnet"), sid, hashtree.Label("canister_ranges"))
		_, treeErr := inner.Tree.LookupSubTree(hashtree.Label("canister_ranges"), sid)
		assert.Equal(t, flat, flatErr == nil, "%s: flat form present", ver)
		assert.Equal(t, !flat, treeErr == nil, "%s: tree form present", ver)

		_, err = certificate.Verify(ans.Certificate, root, s.RootKey())
		assert.ErrorIs(t, err, certificate.ErrNotAuthorized, "%s: a subnet may not answer for another subnet's canister", ver)
	}
	// the subnet endpoint answers for the subnet itself
	sid := s.SubnetOf(child)
	code, body := post(t, fmt.Sprintf("%s/api/v3/subnet/%s/read_state", s.URL(), sid), data)
	require.Equal(t, http.StatusOK, code, string(body))
	code, _ = post(t, fmt.Sprintf("%s/api/v3/subnet/%s/read_state", s.URL(), child), data)
	assert.Equal(t, http.StatusNotFound, code, "a canister id is not a subnet")
}

// TestSingleSubnetSendsNoDelegation keeps Subnets: 1 as the simulator was:
// one root subnet serving everything, certificates without delegation.
func TestSingleSubnetSendsNoDelegation(t *testing.T) {
	s := simtest.Start(t, sim.Options{Subnets: 1})
	require.Len(t, s.Info().Subnets, 1)
	for _, cid := range s.Canisters() {
		assert.Equal(t, s.SubnetID(), s.SubnetOf(cid))
	}
	cid := s.Canisters()[1]
	ctrl := s.ControllerIdentity()
	_, data := envelopeBytes(t, ctrl, callRequest(ctrl, mgmt, "list_canister_snapshots", mustArgs(t, canisterArgs{cid}), time.Now().Add(time.Minute)))
	code, body := post(t, fmt.Sprintf("%s/api/v4/canister/%s/call", s.URL(), cid), data)
	require.Equal(t, http.StatusOK, code, string(body))
	var resp struct {
		Certificate []byte `cbor:"certificate"`
	}
	require.NoError(t, cbor.Unmarshal(body, &resp))
	c, err := certificate.Verify(resp.Certificate, cid, s.RootKey())
	require.NoError(t, err)
	assert.Nil(t, c.Delegation)
	assert.Equal(t, "aaaaa-aa", principal.Principal{Raw: []byte{}}.String())
	assert.Equal(t, "rwlgt-iiaaa-aaaaa-aaaaa-cai", s.Canisters()[0].String(), "one subnet keeps the old ids")
}

// TestSubnetCountSurvivesRestart: a state directory keeps its shape.
func TestSubnetCountSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts := sim.Options{StateDir: dir, Subnets: 4, Fleet: sim.Fleet{Name: "keep", Children: 2, Depth: 1, Size: 1 << 12, Seed: 1}}
	s1, err := sim.Start(ctx, opts)
	require.NoError(t, err)
	info1 := s1.Info()
	require.NoError(t, s1.Close(ctx))
	opts.Subnets = 1
	s2, err := sim.Start(ctx, opts)
	require.NoError(t, err)
	defer func() { assert.NoError(t, s2.Close(ctx)) }()
	info2 := s2.Info()
	assert.Len(t, info2.Subnets, 4)
	assert.Equal(t, info1.Subnets, info2.Subnets, "same keys, ids and ranges")
	assert.Equal(t, info1.CanisterSubnets, info2.CanisterSubnets)

	_, err = sim.Start(ctx, sim.Options{Subnets: -1})
	assert.ErrorContains(t, err, "Subnets is -1")
	_, err = os.Stat(filepath.Join(dir, "sim-state.json"))
	require.NoError(t, err)
}

// TestICPAcceptsEveryApplicationSubnet runs the real icp CLI 1.5.0 against
// a canister on each application subnet: status, snapshot create, list and
// download, and a query and an update call (with query signature checks).
func TestICPAcceptsEveryApplicationSubnet(t *testing.T) {
	s := simtest.Start(t, sim.Options{})
	icp := newICP(t, s)
	did := filepath.Join(t.TempDir(), "app.did")
	require.NoError(t, os.WriteFile(did, []byte("service : { sim_mutate : (nat64) -> (); sim_digest : () -> (text) query }"), 0o644))
	seen := map[string]bool{}
	for _, cid := range s.Canisters()[:2] {
		id := cid.String()
		seen[s.SubnetOf(cid).String()] = true
		assert.Contains(t, icp.canister("status", id), "Status: Running", id)
		fetch := []string{"--identity", "sim", "-n", s.URL(), "-k", "fetch", "--candid", did}
		icp.mustRun(append([]string{"canister", "call", id, "sim_mutate", "(3 : nat64)"}, fetch...)...)
		digest, _ := s.Replica().Digest(cid.Raw)
		assert.Contains(t, icp.mustRun(append([]string{"canister", "call", id, "sim_digest", "()", "--query"}, fetch...)...), digest, id)
		icp.canister("stop", id)
		out := icp.canister("snapshot", "create", id, "--json")
		assert.Contains(t, out, "snapshot_id", id)
		listed := icp.canister("snapshot", "list", id)
		var snaps []snapshot
		require.NoError(t, simtest.Agent(t, s, nil).Call(mgmt, "list_canister_snapshots", []any{canisterArgs{cid}}, []any{&snaps}))
		require.Len(t, snaps, 1, id)
		assert.Contains(t, listed, fmt.Sprintf("%x", snaps[0].ID), id)
		dir := filepath.Join(t.TempDir(), "snap")
		icp.canister("snapshot", "download", id, fmt.Sprintf("%x", snaps[0].ID), "-o", dir)
		assert.Equal(t, digest, fileSHA(t, filepath.Join(dir, "wasm_memory.bin"), filepath.Join(dir, "stable_memory.bin")), id)
		icp.canister("start", id)
	}
	assert.Len(t, seen, 2, "both application subnets")
	assert.NotContains(t, seen, s.SubnetID().String())
}

// TestManagementCallsGoToTheTargetsSubnet: a management call is executed
// by the subnet its effective canister id routes it to, which knows only
// its own canisters.
func TestManagementCallsGoToTheTargetsSubnet(t *testing.T) {
	s := simtest.Start(t, sim.Options{})
	root, child := s.Canisters()[0], s.Canisters()[1]
	require.NotEqual(t, s.SubnetOf(root), s.SubnetOf(child))
	ctrl := s.ControllerIdentity()
	_, data := envelopeBytes(t, ctrl, callRequest(ctrl, mgmt, "stop_canister", mustArgs(t, canisterArgs{root}), time.Now().Add(time.Minute)))
	code, body := post(t, fmt.Sprintf("%s/api/v4/canister/%s/call", s.URL(), child), data)
	require.Equal(t, http.StatusOK, code, string(body))
	var resp struct {
		Certificate []byte `cbor:"certificate"`
	}
	require.NoError(t, cbor.Unmarshal(body, &resp))
	c, err := certificate.Verify(resp.Certificate, child, s.RootKey())
	require.NoError(t, err)
	paths := hashtree.ListPaths(c.Tree.Root, nil)
	var msg string
	for _, p := range paths {
		if len(p) == 3 && string(p[2]) == "reject_message" {
			v, err := c.Tree.Lookup(p...)
			require.NoError(t, err)
			msg = string(v)
		}
	}
	assert.Contains(t, msg, "Canister "+root.String()+" not found", "the child's subnet does not hold the root")
	st, _ := s.Replica().Status(root.Raw)
	assert.Equal(t, "running", st)

	require.NoError(t, simtest.Agent(t, s, nil).Call(mgmt, "stop_canister", []any{canisterArgs{root}}, []any{}),
		"routed by the target canister, the same call works")
	st, _ = s.Replica().Status(root.Raw)
	assert.Equal(t, "stopped", st)
}
