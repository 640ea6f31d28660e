package ingress

import (
	"encoding/hex"
	"testing"

	"github.com/aviate-labs/agent-go/principal"
	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRequestIDSpecExample checks the request id example of the IC
// interface specification ("Request ids", https-interface.md): a call to
// hello on canister 00000000000004D2 with argument "DIDL\x00\xFD*" from the
// anonymous sender, expiring at 1685570400000000000.
func TestRequestIDSpecExample(t *testing.T) {
	arg, _ := hex.DecodeString("4449444c00fd2a")
	req := Request{
		Type:          RequestTypeCall,
		Sender:        principal.Principal{Raw: []byte{0x04}},
		IngressExpiry: 1685570400000000000,
		CanisterID:    principal.Principal{Raw: []byte{0, 0, 0, 0, 0, 0, 0x04, 0xd2}},
		MethodName:    "hello",
		Arguments:     arg,
	}
	id := NewRequestID(req)
	assert.Equal(t, "1d1091364d6bb8a6c16b203ee75467d59ead468f523eb058880ae8ec80e2b101", hex.EncodeToString(id[:]))
}

func TestEnvelopeEncodesPresentFieldsOnly(t *testing.T) {
	req := Request{Type: RequestTypeReadState, Sender: principal.AnonymousID, IngressExpiry: 5,
		Paths: nil, CanisterID: principal.Principal{Raw: []byte{}}}
	b, err := cbor.Marshal(Envelope{Content: req})
	require.NoError(t, err)
	var m map[string]map[string]any
	require.NoError(t, cbor.Unmarshal(b, &m))
	c := m["content"]
	assert.Contains(t, c, "canister_id", "an empty canister id is the management canister")
	assert.NotContains(t, c, "paths")
	assert.NotContains(t, c, "nonce")
	assert.EqualValues(t, 5, c["ingress_expiry"])
	assert.Equal(t, []byte{0x80, 0x01}, leb128(128))
}
