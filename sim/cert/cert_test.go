package cert

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"testing"

	"github.com/aviate-labs/agent-go/certification"
	"github.com/aviate-labs/agent-go/certification/hashtree"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSignedCertificateVerifiesWithAgentGo(t *testing.T) {
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

	var c certification.Certificate
	require.NoError(t, cbor.Unmarshal(raw, &c))
	cid := principal.Principal{Raw: []byte{0, 0, 0, 0, 0, 0, 0, 1, 1, 1}}
	require.NoError(t, certification.VerifyCertificate(c, cid, s.RootKeyDER()))
	got, err := c.Tree.Lookup(hashtree.Label("request_status"), hashtree.Label("rid"), hashtree.Label("status"))
	require.NoError(t, err)
	assert.Equal(t, "replied", string(got))

	other, err := NewSigner([]byte("seed-2"))
	require.NoError(t, err)
	assert.Error(t, certification.VerifyCertificate(c, cid, other.RootKeyDER()), "a different key must not verify")
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
