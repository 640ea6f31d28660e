package cert

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"testing"

	"github.com/aviate-labs/agent-go/certification/hashtree"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/canic-backup/canic-backup/driver/agent/certificate"
	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSignedCertificateVerifies(t *testing.T) {
	s, err := NewSigner([]byte("seed-1"))
	require.NoError(t, err)
	require.Len(t, s.RootKeyDER(), 133)
	assert.Equal(t, byte(0x02), s.SubnetID()[len(s.SubnetID())-1])

	var tr Tree
	tr.InsertString(LEB128(1_700_000_000_000_000_000), "time")
	tr.InsertString([]byte("replied"), "request_status", "rid", "status")
	tr.InsertString([]byte("DIDL\x00\x00"), "request_status", "rid", "reply")
	raw, err := s.Sign(tr.Node())
	require.NoError(t, err)
	assert.Equal(t, []byte{0xd9, 0xd9, 0xf7}, raw[:3], "certificate carries the self-describe tag")

	cid := principal.Principal{Raw: []byte{0, 0, 0, 0, 0, 0, 0, 1, 1, 1}}
	c, err := certificate.Verify(raw, cid, s.RootKeyDER())
	require.NoError(t, err)
	assert.Nil(t, c.Delegation)
	got, err := c.Tree.Lookup(hashtree.Label("request_status"), hashtree.Label("rid"), hashtree.Label("status"))
	require.NoError(t, err)
	assert.Equal(t, "replied", string(got))

	other, err := NewSigner([]byte("seed-2"))
	require.NoError(t, err)
	_, err = certificate.Verify(raw, cid, other.RootKeyDER())
	assert.ErrorIs(t, err, certificate.ErrSignature, "a different key must not verify")
}

func TestSignerIsDeterministic(t *testing.T) {
	a, err := NewSigner([]byte("x"))
	require.NoError(t, err)
	b, err := NewSigner([]byte("x"))
	require.NoError(t, err)
	assert.Equal(t, a.RootKeyDER(), b.RootKeyDER())
	_, err = NewSigner(nil)
	assert.ErrorIs(t, err, ErrEmptySeed)
}

func TestTreeLabelsAreStrictlyOrderedAndLookupsWork(t *testing.T) {
	var tr Tree
	for _, l := range []string{"zeta", "alpha", "mid", "beta", "alpha"} {
		tr.InsertString([]byte("v-"+l), "root", l)
	}
	tr.InsertString([]byte("old"), "x", "y")
	tr.InsertString([]byte("new"), "x") // replaces the subtree
	node := tr.Node()
	paths := hashtree.ListPaths(node, nil)
	require.Len(t, paths, 5)
	for i := 1; i < 4; i++ {
		assert.Less(t, string(paths[i-1][1]), string(paths[i][1]))
	}
	ht := hashtree.NewHashTree(node)
	v, err := ht.Lookup(hashtree.Label("root"), hashtree.Label("mid"))
	require.NoError(t, err)
	assert.Equal(t, "v-mid", string(v))
	v, err = ht.Lookup(hashtree.Label("x"))
	require.NoError(t, err)
	assert.Equal(t, "new", string(v))
	_, err = ht.Lookup(hashtree.Label("root"), hashtree.Label("gamma"))
	assert.Error(t, err)
}

func TestLEB128(t *testing.T) {
	assert.Equal(t, []byte{0}, LEB128(0))
	assert.Equal(t, []byte{0x7f}, LEB128(127))
	assert.Equal(t, []byte{0x80, 0x01}, LEB128(128))
	assert.Equal(t, []byte{0xe5, 0x8e, 0x26}, LEB128(624485))
}

func TestNodeKeySignsResponses(t *testing.T) {
	k, err := NewNodeKey([]byte("seed"), 0)
	require.NoError(t, err)
	require.Len(t, k.PublicKeyDER(), 44)
	pub, err := x509.ParsePKIXPublicKey(k.PublicKeyDER())
	require.NoError(t, err)
	h := sha256.Sum256([]byte("response"))
	sig := k.SignResponse(h)
	assert.True(t, ed25519.Verify(pub.(ed25519.PublicKey), append([]byte("\x0bic-response"), h[:]...), sig))
	assert.Equal(t, principal.NewSelfAuthenticating(k.PublicKeyDER()).Raw, k.NodeID())
}

func TestDelegatedCertificatesVerifyInBothForms(t *testing.T) {
	nns, err := NewSigner([]byte("nns"))
	require.NoError(t, err)
	app, err := NewSigner([]byte("app"))
	require.NoError(t, err)
	sid := app.SubnetID()
	lo := []byte{0, 0, 0, 0, 0, 0x10, 0, 0, 1, 1}
	hi := []byte{0, 0, 0, 0, 0, 0x1f, 0xff, 0xff, 1, 1}
	inside := principal.Principal{Raw: []byte{0, 0, 0, 0, 0, 0x10, 0, 5, 1, 1}}
	outside := principal.Principal{Raw: []byte{0, 0, 0, 0, 0, 0x20, 0, 0, 1, 1}}
	ranges, err := cbor.Marshal(cbor.Tag{Number: SelfDescribeTag, Content: [][][]byte{{lo, hi}}})
	require.NoError(t, err)

	var state Tree
	state.InsertString(LEB128(1), "time")
	state.Insert(app.RootKeyDER(), []byte("subnet"), sid, []byte("public_key"))
	state.Insert(ranges, []byte("subnet"), sid, []byte("canister_ranges"))
	state.Insert(ranges, []byte("canister_ranges"), sid, lo)
	state.Insert(nns.RootKeyDER(), []byte("subnet"), nns.SubnetID(), []byte("public_key"))

	var tr Tree
	tr.InsertString(LEB128(2), "time")
	for _, form := range []struct {
		name string
		keep [][]byte
		gone []hashtree.Label
	}{
		{"tree", [][]byte{[]byte("canister_ranges"), sid}, []hashtree.Label{hashtree.Label("subnet"), sid, hashtree.Label("canister_ranges")}},
		{"flat", [][]byte{[]byte("subnet"), sid, []byte("canister_ranges")}, []hashtree.Label{hashtree.Label("canister_ranges"), sid, lo}},
	} {
		d, err := nns.Delegate(&state, sid, [][]byte{[]byte("subnet"), sid, []byte("public_key")}, form.keep)
		require.NoError(t, err, form.name)
		raw, err := app.SignDelegated(tr.Node(), d)
		require.NoError(t, err, form.name)

		c, err := certificate.Verify(raw, inside, nns.RootKeyDER())
		require.NoError(t, err, form.name)
		inner, err := certificate.Decode(c.Delegation.Certificate)
		require.NoError(t, err, form.name)
		assert.Equal(t, state.Node().Reconstruct(), inner.Tree.Digest(), "%s: pruning keeps the root hash", form.name)
		_, err = inner.Tree.Lookup(form.gone...)
		var le hashtree.LookupError
		require.ErrorAs(t, err, &le, form.name)
		assert.Equal(t, hashtree.LookupResultUnknown, le.Type, "%s: the other form is pruned, not absent", form.name)
		_, err = inner.Tree.Lookup(hashtree.Label("subnet"), nns.SubnetID(), hashtree.Label("public_key"))
		assert.Error(t, err, "%s: other subnets are pruned", form.name)

		_, err = certificate.Verify(raw, outside, nns.RootKeyDER())
		assert.ErrorIs(t, err, certificate.ErrNotAuthorized, form.name)
		_, err = certificate.Verify(raw, inside, app.RootKeyDER())
		assert.ErrorIs(t, err, certificate.ErrDelegation, "%s: the delegation must be signed by the root key", form.name)
	}
}
