package certificate

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/aviate-labs/agent-go/certification/hashtree"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The vectors are real mainnet answers copied from dfinity/agent-rs
// (ic-agent/src/agent/agent_test/*.bin, see testdata/README.md): read_state
// of /time for ivg37-qiaaa-aaaab-aaaga-cai, an application-subnet canister.
const (
	ivg37 = "ivg37-qiaaa-aaaab-aaaga-cai"
	// ryjl3 (the ICP ledger) lives on the NNS subnet, outside ivg37's
	// subnet's ranges: agent-rs uses it for its "unauthorized" cases.
	ryjl3 = "ryjl3-tyaaa-aaaaa-aaaba-cai"
)

func mainnetKey(t *testing.T) []byte {
	t.Helper()
	k, err := hex.DecodeString(MainnetRootKey)
	require.NoError(t, err)
	return k
}

func vector(t *testing.T, name string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	var ans struct {
		Certificate []byte `cbor:"certificate"`
	}
	require.NoError(t, cbor.Unmarshal(body, &ans), name)
	require.NotEmpty(t, ans.Certificate, name)
	return ans.Certificate
}

func pid(t *testing.T, s string) principal.Principal {
	t.Helper()
	p, err := principal.Decode(s)
	require.NoError(t, err)
	return p
}

func TestMainnetTreeFormDelegationVerifies(t *testing.T) {
	raw := vector(t, "ivg37_time.bin")
	c, err := Verify(raw, pid(t, ivg37), mainnetKey(t))
	require.NoError(t, err)
	require.NotNil(t, c.Delegation, "an application-subnet certificate carries a delegation")
	inner, err := Decode(c.Delegation.Certificate)
	require.NoError(t, err)
	_, err = inner.Tree.LookupSubTree(hashtree.Label("canister_ranges"), c.Delegation.SubnetID)
	require.NoError(t, err, "this vector has the sharded form")
	_, err = inner.Tree.Lookup(hashtree.Label("subnet"), c.Delegation.SubnetID, hashtree.Label("canister_ranges"))
	require.Error(t, err, "v3 prunes the flat form")
	_, err = c.Tree.Lookup(hashtree.Label("time"))
	assert.NoError(t, err)
}

func TestMainnetFlatDelegationVerifies(t *testing.T) {
	raw := vector(t, "ivg37_delegated_v2.bin")
	c, err := Verify(raw, pid(t, ivg37), mainnetKey(t))
	require.NoError(t, err)
	inner, err := Decode(c.Delegation.Certificate)
	require.NoError(t, err)
	_, err = inner.Tree.Lookup(hashtree.Label("subnet"), c.Delegation.SubnetID, hashtree.Label("canister_ranges"))
	require.NoError(t, err, "this vector has the flat form")
}

func TestCanisterOutsideDelegatedRangesIsRefused(t *testing.T) {
	for _, name := range []string{"ivg37_time.bin", "ivg37_delegated_v2.bin"} {
		_, err := Verify(vector(t, name), pid(t, ryjl3), mainnetKey(t))
		assert.ErrorIs(t, err, ErrNotAuthorized, name)
		assert.ErrorIs(t, err, ErrInvalid, name)
		assert.Contains(t, err.Error(), ryjl3, name)
	}
}

func TestPrunedRangesAreRefused(t *testing.T) {
	for _, name := range []string{"ivg37_time_pruned_ranges.bin", "ivg37_delegated_v2_pruned_subnet.bin"} {
		_, err := Verify(vector(t, name), pid(t, ivg37), mainnetKey(t))
		assert.ErrorIs(t, err, ErrNotAuthorized, name)
	}
}

// flip returns raw with one bit of the unique occurrence of part flipped.
func flip(t *testing.T, raw, part []byte, byteIndex int) []byte {
	t.Helper()
	require.Equal(t, 1, bytes.Count(raw, part), "the part to tamper with occurs once")
	i := bytes.Index(raw, part) + byteIndex
	out := append([]byte{}, raw...)
	out[i] ^= 0x01
	return out
}

func TestTamperingIsRefused(t *testing.T) {
	key := mainnetKey(t)
	for _, name := range []string{"ivg37_time.bin", "ivg37_delegated_v2.bin"} {
		raw := vector(t, name)
		c, err := Decode(raw)
		require.NoError(t, err)
		inner, err := Decode(c.Delegation.Certificate)
		require.NoError(t, err)
		ecid := pid(t, ivg37)

		_, err = Verify(flip(t, raw, c.Signature, 20), ecid, key)
		assert.ErrorIs(t, err, ErrInvalid, "%s: flipped signature bit", name)

		tm, err := c.Tree.Lookup(hashtree.Label("time"))
		require.NoError(t, err)
		_, err = Verify(flip(t, raw, tm, 0), ecid, key)
		assert.ErrorIs(t, err, ErrSignature, "%s: flipped bit in the certified /time", name)

		_, err = Verify(flip(t, raw, inner.Signature, 7), ecid, key)
		assert.ErrorIs(t, err, ErrDelegation, "%s: flipped bit in the delegation's signature", name)

		pk, err := inner.Tree.Lookup(hashtree.Label("subnet"), c.Delegation.SubnetID, hashtree.Label("public_key"))
		require.NoError(t, err)
		_, err = Verify(flip(t, raw, pk[40:], 0), ecid, key)
		assert.ErrorIs(t, err, ErrDelegation, "%s: flipped bit in the delegated subnet key", name)

		moved := *c
		d := *c.Delegation
		d.SubnetID = append([]byte{}, d.SubnetID...)
		d.SubnetID[3] ^= 1
		moved.Delegation = &d
		b, err := cbor.Marshal(moved)
		require.NoError(t, err)
		_, err = Verify(b, ecid, key)
		assert.ErrorIs(t, err, ErrInvalid, "%s: flipped bit in the delegation's subnet_id", name)
		same := *c
		b, err = cbor.Marshal(same)
		require.NoError(t, err)
		_, err = Verify(b, ecid, key)
		assert.NoError(t, err, "%s: re-encoded unchanged, it still verifies", name)

		other := append([]byte{}, key...)
		other[len(other)-1] ^= 1
		_, err = Verify(raw, ecid, other)
		assert.ErrorIs(t, err, ErrInvalid, "%s: another root key", name)
	}
}

func TestNestedDelegationIsRefused(t *testing.T) {
	raw := vector(t, "ivg37_time.bin")
	c, err := Decode(raw)
	require.NoError(t, err)
	// Wrap the real certificate as the delegation of a certificate that
	// itself carries a delegation: the inner one is nested.
	nested := struct {
		Tree       hashtree.HashTree `cbor:"tree"`
		Signature  []byte            `cbor:"signature"`
		Delegation *Delegation       `cbor:"delegation"`
	}{c.Tree, c.Signature, &Delegation{SubnetID: c.Delegation.SubnetID, Certificate: raw}}
	b, err := cbor.Marshal(nested)
	require.NoError(t, err)
	_, err = Verify(b, pid(t, ivg37), mainnetKey(t))
	assert.ErrorIs(t, err, ErrDelegation)
	assert.Contains(t, err.Error(), "nested")
}

func TestGarbageIsRefused(t *testing.T) {
	key := mainnetKey(t)
	for _, raw := range [][]byte{nil, {0xa0}, []byte("not cbor at all")} {
		_, err := Verify(raw, pid(t, ivg37), key)
		assert.ErrorIs(t, err, ErrInvalid, "%x", raw)
	}
	_, err := Verify(vector(t, "ivg37_time.bin"), pid(t, ivg37), key[:100])
	assert.ErrorIs(t, err, ErrInvalid, "short root key")
}

// TestVerifierRemembersOnlyWhatItChecked: a Verifier checks a delegation's
// signature once, but every certificate still gets its own signature and
// ranges check, and changed delegation bytes are checked afresh.
func TestVerifierRemembersOnlyWhatItChecked(t *testing.T) {
	v := NewVerifier(mainnetKey(t))
	raw := vector(t, "ivg37_time.bin")
	for i := 0; i < 2; i++ {
		_, err := v.Verify(raw, pid(t, ivg37))
		require.NoError(t, err, "round %d", i)
		_, err = v.Verify(raw, pid(t, ryjl3))
		assert.ErrorIs(t, err, ErrNotAuthorized, "round %d: ranges are checked on every certificate", i)
	}
	assert.Len(t, v.verified, 1, "one delegation remembered")

	c, err := Decode(raw)
	require.NoError(t, err)
	inner, err := Decode(c.Delegation.Certificate)
	require.NoError(t, err)
	_, err = v.Verify(flip(t, raw, inner.Signature, 7), pid(t, ivg37))
	assert.ErrorIs(t, err, ErrDelegation, "a changed delegation is not the remembered one")
	_, err = v.Verify(flip(t, raw, c.Signature, 7), pid(t, ivg37))
	assert.ErrorIs(t, err, ErrSignature, "the outer signature is checked every time")

	other := append([]byte{}, mainnetKey(t)...)
	other[len(other)-1] ^= 1
	_, err = NewVerifier(other).Verify(raw, pid(t, ivg37))
	assert.ErrorIs(t, err, ErrInvalid, "another root key")
}
