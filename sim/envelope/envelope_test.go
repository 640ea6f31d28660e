package envelope

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go/certification/hashtree"
	"github.com/aviate-labs/agent-go/identity"
	"github.com/aviate-labs/agent-go/principal"
	agent "github.com/canic-backup/canic-backup/driver/agent/ingress"
	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequestIDSpecVector(t *testing.T) {
	m := map[string]any{
		"request_type":   "call",
		"sender":         []byte{0x04},
		"ingress_expiry": uint64(1685570400000000000),
		"canister_id":    []byte{0, 0, 0, 0, 0, 0, 0x04, 0xD2},
		"method_name":    "hello",
		"arg":            []byte("DIDL\x00\xFD*"),
	}
	id, err := HashOfMap(m)
	require.NoError(t, err)
	assert.Equal(t, "1d1091364d6bb8a6c16b203ee75467d59ead468f523eb058880ae8ec80e2b101", hex.EncodeToString(id[:]))
}

type signer = identity.Identity

func envelopeFor(t *testing.T, id signer, req agent.Request, tag bool) []byte {
	t.Helper()
	rid := agent.NewRequestID(req)
	env := agent.Envelope{Content: req}
	if _, anon := id.(*identity.AnonymousIdentity); !anon {
		env.SenderPubKey = id.PublicKey()
		env.SenderSig = rid.Sign(id)
	}
	var v any = env
	if tag {
		v = cbor.Tag{Number: 55799, Content: env}
	}
	b, err := cbor.Marshal(v)
	require.NoError(t, err)
	return b
}

func callReq(id signer, now time.Time) agent.Request {
	return agent.Request{
		Type: agent.RequestTypeCall, Sender: id.Sender(), Nonce: []byte("nonce"),
		IngressExpiry: uint64(now.Add(time.Minute).UnixNano()),
		CanisterID:    principal.Principal{Raw: []byte{}}, MethodName: "canister_status", Arguments: []byte("DIDL\x00\x00"),
	}
}

func TestAuthenticateAcceptsAgentGoIdentities(t *testing.T) {
	now := time.Now()
	ed, err := identity.NewRandomEd25519Identity()
	require.NoError(t, err)
	k1, err := identity.NewRandomSecp256k1Identity()
	require.NoError(t, err)
	p256, err := identity.NewRandomPrime256v1Identity()
	require.NoError(t, err)
	for name, id := range map[string]signer{"ed25519": ed, "secp256k1": k1, "p256": p256, "anonymous": &identity.AnonymousIdentity{}} {
		for _, tag := range []bool{false, true} {
			req := callReq(id, now)
			env, err := Decode(envelopeFor(t, id, req, tag))
			require.NoError(t, err, name)
			assert.Equal(t, [32]byte(agent.NewRequestID(req)), env.RequestID, name)
			assert.Equal(t, "canister_status", env.Content.MethodName)
			assert.Equal(t, []byte{}, env.Content.CanisterID)
			require.NoError(t, env.Authenticate(now), name)
		}
	}
}

func TestAuthenticateRejectsBadSignatureAndExpiry(t *testing.T) {
	now := time.Now()
	ed, err := identity.NewRandomEd25519Identity()
	require.NoError(t, err)
	k1, err := identity.NewRandomSecp256k1Identity()
	require.NoError(t, err)
	for _, id := range []signer{ed, k1} {
		env, err := Decode(envelopeFor(t, id, callReq(id, now), true))
		require.NoError(t, err)
		env.SenderSig[3] ^= 0xff
		assert.ErrorIs(t, env.Authenticate(now), ErrBadSignature)
	}

	// a valid signature by a different key than the sender's
	other, err := identity.NewRandomEd25519Identity()
	require.NoError(t, err)
	req := callReq(ed, now)
	rid := agent.NewRequestID(req)
	b, err := cbor.Marshal(agent.Envelope{Content: req, SenderPubKey: other.PublicKey(), SenderSig: rid.Sign(other)})
	require.NoError(t, err)
	env, err := Decode(b)
	require.NoError(t, err)
	assert.ErrorIs(t, env.Authenticate(now), ErrBadSignature)

	// expired and too far in the future
	env, err = Decode(envelopeFor(t, ed, callReq(ed, now), false))
	require.NoError(t, err)
	err = env.Authenticate(now.Add(2 * time.Minute))
	assert.ErrorIs(t, err, ErrExpired)
	assert.Contains(t, err.Error(), "provided expiry")
	assert.ErrorIs(t, env.Authenticate(now.Add(-10*time.Minute)), ErrExpired)

	// an anonymous sender must not sign; a named one must
	anonReq := callReq(&identity.AnonymousIdentity{}, now)
	b, err = cbor.Marshal(agent.Envelope{Content: anonReq, SenderPubKey: ed.PublicKey(), SenderSig: []byte("x")})
	require.NoError(t, err)
	env, err = Decode(b)
	require.NoError(t, err)
	assert.ErrorIs(t, env.Authenticate(now), ErrBadSignature)
	b, err = cbor.Marshal(agent.Envelope{Content: callReq(ed, now)})
	require.NoError(t, err)
	env, err = Decode(b)
	require.NoError(t, err)
	assert.ErrorIs(t, env.Authenticate(now), ErrBadSignature)
}

func TestDecodeReadStatePathsAndMalformed(t *testing.T) {
	now := time.Now()
	id := &identity.AnonymousIdentity{}
	req := agent.Request{Type: agent.RequestTypeReadState, Sender: id.Sender(),
		IngressExpiry: uint64(now.Add(time.Minute).UnixNano()),
		Paths:         [][]hashtree.Label{{hashtree.Label("request_status"), hashtree.Label("abc")}, {hashtree.Label("time")}}}
	env, err := Decode(envelopeFor(t, id, req, true))
	require.NoError(t, err)
	assert.Equal(t, [32]byte(agent.NewRequestID(req)), env.RequestID)
	require.Len(t, env.Content.Paths, 2)
	assert.Equal(t, "abc", string(env.Content.Paths[0][1]))

	_, err = Decode([]byte("not cbor"))
	assert.ErrorIs(t, err, ErrMalformed)
	b, _ := cbor.Marshal(map[string]any{"content": map[string]any{"request_type": "call", "sender": []byte{4}}})
	_, err = Decode(b)
	assert.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), "ingress_expiry")
	b, _ = cbor.Marshal(map[string]any{"content": map[string]any{"request_type": "call", "sender": "text", "ingress_expiry": 1}})
	_, err = Decode(b)
	assert.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), "content.sender")
}
