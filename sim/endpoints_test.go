package sim_test

import (
	"crypto/ed25519"
	"crypto/x509"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/certification/hashtree"
	"github.com/aviate-labs/agent-go/identity"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/canic-backup/canic-backup/driver/agent/certificate"
	"github.com/canic-backup/canic-backup/internal/icbls"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/envelope"
	"github.com/canic-backup/canic-backup/sim/simtest"
	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatusServesTheDERRootKey(t *testing.T) {
	s := simtest.Start(t, sim.Options{})
	resp, err := http.Get(s.URL() + "/api/v2/status")
	require.NoError(t, err)
	defer resp.Body.Close()
	var st struct {
		RootKey []byte `cbor:"root_key"`
	}
	require.NoError(t, cbor.NewDecoder(resp.Body).Decode(&st))
	assert.Equal(t, s.RootKey(), st.RootKey)
	assert.Len(t, s.RootKeyHex(), 266)
	_, err = icbls.PublicKeyFromDER(st.RootKey)
	require.NoError(t, err)
	assert.Equal(t, s.SubnetID(), principal.NewSelfAuthenticating(st.RootKey), "the root key is the NNS subnet's")
}

func TestV4CallAnswersWithAVerifiableCertificate(t *testing.T) {
	s := simtest.Start(t, sim.Options{})
	cid := s.Canisters()[1]
	require.NotEqual(t, s.SubnetID(), s.SubnetOf(cid), "the fleet lives on an application subnet")
	ctrl := s.ControllerIdentity()
	rid, data := envelopeBytes(t, ctrl, callRequest(ctrl, mgmt, "list_canister_snapshots", mustArgs(t, canisterArgs{cid}), time.Now().Add(time.Minute)))
	for _, ver := range []string{"v3", "v4"} {
		code, body := post(t, fmt.Sprintf("%s/api/%s/canister/%s/call", s.URL(), ver, cid), data)
		require.Equal(t, http.StatusOK, code, string(body))
		var resp struct {
			Status      string `cbor:"status"`
			Certificate []byte `cbor:"certificate"`
		}
		require.NoError(t, cbor.Unmarshal(body, &resp))
		assert.Equal(t, "replied", resp.Status)
		c, err := certificate.Verify(resp.Certificate, cid, s.RootKey())
		require.NoError(t, err)
		require.NotNil(t, c.Delegation, "an application subnet's certificate carries the NNS delegation")
		assert.Equal(t, s.SubnetOf(cid).Raw, c.Delegation.SubnetID)
		inner, err := certificate.Decode(c.Delegation.Certificate)
		require.NoError(t, err)
		// as the replica's call handlers choose: flat on v3, sharded on v4
		_, treeErr := inner.Tree.LookupSubTree(hashtree.Label("canister_ranges"), c.Delegation.SubnetID)
		_, flatErr := inner.Tree.Lookup(hashtree.Label("subnet"), c.Delegation.SubnetID, hashtree.Label("canister_ranges"))
		assert.Equal(t, ver == "v4", treeErr == nil, "%s: sharded ranges", ver)
		assert.Equal(t, ver == "v3", flatErr == nil, "%s: flat ranges", ver)
		status, err := c.Tree.Lookup(hashtree.Label("request_status"), rid[:], hashtree.Label("status"))
		require.NoError(t, err)
		assert.Equal(t, "replied", string(status))
		reply, err := c.Tree.Lookup(hashtree.Label("request_status"), rid[:], hashtree.Label("reply"))
		require.NoError(t, err)
		var list []snapshot
		require.NoError(t, idl.Unmarshal(reply, []any{&list}))
		assert.Empty(t, list)
		_, err = c.Tree.Lookup(hashtree.Label("time"))
		require.NoError(t, err)
	}
	assert.Equal(t, uint64(1), s.Counters().Calls["list_canister_snapshots"], "a resubmitted request id executes once")
}

func TestQueryIsSignedByACertifiedNodeKey(t *testing.T) {
	s := simtest.Start(t, sim.Options{})
	cid := s.Canisters()[0]
	anon := &identity.AnonymousIdentity{}
	req := callRequest(anon, cid, "sim_digest", []byte("DIDL\x00\x00"), time.Now().Add(time.Minute))
	req.Type = "query"
	rid, data := envelopeBytes(t, anon, req)
	code, body := post(t, fmt.Sprintf("%s/api/v3/canister/%s/query", s.URL(), cid), data)
	require.Equal(t, http.StatusOK, code, string(body))
	var resp struct {
		Status string `cbor:"status"`
		Reply  struct {
			Arg []byte `cbor:"arg"`
		} `cbor:"reply"`
		Signatures []struct {
			Timestamp uint64 `cbor:"timestamp"`
			Signature []byte `cbor:"signature"`
			Identity  []byte `cbor:"identity"`
		} `cbor:"signatures"`
	}
	require.NoError(t, cbor.Unmarshal(body, &resp))
	require.Equal(t, "replied", resp.Status)
	var digest string
	require.NoError(t, idl.Unmarshal(resp.Reply.Arg, []any{&digest}))
	want, _ := s.Replica().Digest(cid.Raw)
	assert.Equal(t, want, digest)
	require.Len(t, resp.Signatures, 1)
	sig := resp.Signatures[0]

	// the node key and the subnet are certified under /subnet
	a := simtest.Agent(t, s, anon)
	node, err := a.ReadStateCertificate(cid, [][]hashtree.Label{{hashtree.Label("subnet")}})
	require.NoError(t, err)
	tree := hashtree.NewHashTree(node)
	sid := s.SubnetOf(cid).Raw
	der, err := tree.Lookup(hashtree.Label("subnet"), sid, hashtree.Label("node"), sig.Identity, hashtree.Label("public_key"))
	require.NoError(t, err)
	_, err = tree.Lookup(hashtree.Label("subnet"), sid, hashtree.Label("canister_ranges"))
	require.Error(t, err, "v3 read_state keeps flat ranges only for the NNS subnet")
	_, err = tree.LookupSubTree(hashtree.Label("canister_ranges"), sid)
	require.NoError(t, err)
	pk, err := tree.Lookup(hashtree.Label("subnet"), sid, hashtree.Label("public_key"))
	require.NoError(t, err)
	assert.NotEqual(t, s.RootKey(), pk, "an application subnet has its own key")
	assert.Equal(t, principal.NewSelfAuthenticating(pk).Raw, sid)

	pub, err := x509.ParsePKIXPublicKey(der)
	require.NoError(t, err)
	h, err := envelope.HashOfMap(map[string]any{"status": "replied", "reply": map[string]any{"arg": resp.Reply.Arg},
		"timestamp": sig.Timestamp, "request_id": rid[:]})
	require.NoError(t, err)
	assert.True(t, ed25519.Verify(pub.(ed25519.PublicKey), append([]byte("\x0bic-response"), h[:]...), sig.Signature))
	assert.Equal(t, uint64(1), s.Counters().Queries["sim_digest"])
}

func TestClientQuery(t *testing.T) {
	s := simtest.Start(t, sim.Options{})
	cid := s.Canisters()[0]
	var digest string
	require.NoError(t, simtest.Agent(t, s, nil).Query(cid, "sim_digest", []any{}, []any{&digest}))
	want, _ := s.Replica().Digest(cid.Raw)
	assert.Equal(t, want, digest)
}
