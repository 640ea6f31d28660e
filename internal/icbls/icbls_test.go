package icbls

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// herumiDER and herumiSig were produced by the simulator's previous signer
// (herumi/bls-go-binary through agent-go v0.4.5's certification/bls, the
// cgo library this package replaces) for the key derived from "seed-1" and
// the message below: an independent implementation's answer.
const (
	herumiDER = "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c0503020103610096a9c6c93e919eb0067a93bc391010645d76e5855caa8bf44516227797549be5e5274eb0c399150001b3685679729c02164305a60176f755efcde6a4a2155eae095170617b4f1aae7a38e8ebbe3b4a8ee3e6264bcff0172275dab3334aafd7d2"
	herumiSig = "b2d9eb74ad3bb6fed770714007221382518f679f9b7705f4744127197389ce8eee0bc7bd13177f2a012d3eaf540135ba"
	herumiMsg = "canic-backup icbls cross-check"
)

func seed1(t *testing.T) *SecretKey {
	t.Helper()
	h := sha256.Sum256([]byte("canic-sim/subnet-bls/seed-1"))
	sk, err := SecretKeyFromLittleEndian(h[:])
	require.NoError(t, err)
	return sk
}

func TestMatchesHerumiKeyAndSignature(t *testing.T) {
	sk := seed1(t)
	der, err := PublicKeyToDER(sk.PublicKey())
	require.NoError(t, err)
	assert.Equal(t, herumiDER, hex.EncodeToString(der), "same scalar, same public key as herumi")
	sig, err := sk.Sign([]byte(herumiMsg))
	require.NoError(t, err)
	assert.Equal(t, herumiSig, hex.EncodeToString(sig), "BLS is deterministic: same signature as herumi")

	want, _ := hex.DecodeString(herumiSig)
	pk, err := PublicKeyFromDER(der)
	require.NoError(t, err)
	require.NoError(t, Verify(pk, want, []byte(herumiMsg)))
}

func TestVerifyRefusesTampering(t *testing.T) {
	sk := seed1(t)
	msg := []byte("\x0dic-state-root0123456789abcdef0123456789abcdef")
	sig, err := sk.Sign(msg)
	require.NoError(t, err)
	pk := sk.PublicKey()
	require.NoError(t, Verify(pk, sig, msg))

	other := append([]byte{}, msg...)
	other[20] ^= 1
	assert.ErrorIs(t, Verify(pk, sig, other), ErrVerify, "another message")

	for _, bit := range []int{0, 5, 8*10 + 3, 8*47 + 7} {
		bad := append([]byte{}, sig...)
		bad[bit/8] ^= 1 << (bit % 8)
		err := Verify(pk, bad, msg)
		assert.Error(t, err, "signature bit %d flipped", bit)
	}
	for _, bit := range []int{3, 8*50 + 1, 8*95 + 7} {
		bad := append([]byte{}, pk...)
		bad[bit/8] ^= 1 << (bit % 8)
		assert.Error(t, Verify(bad, sig, msg), "key bit %d flipped", bit)
	}

	h := sha256.Sum256([]byte("canic-sim/subnet-bls/seed-2"))
	sk2, err := SecretKeyFromLittleEndian(h[:])
	require.NoError(t, err)
	assert.ErrorIs(t, Verify(sk2.PublicKey(), sig, msg), ErrVerify, "another key")
}

func TestVerifyRefusesMalformedPoints(t *testing.T) {
	sk := seed1(t)
	msg := []byte("m")
	sig, err := sk.Sign(msg)
	require.NoError(t, err)
	pk := sk.PublicKey()

	assert.ErrorIs(t, Verify(pk, sig[:47], msg), ErrInvalidSignature, "short signature")
	assert.ErrorIs(t, Verify(pk, append(append([]byte{}, sig...), 0), msg), ErrInvalidSignature, "long signature")
	identity := make([]byte, SignatureSize)
	identity[0] = 0xc0 // compressed, infinity
	assert.ErrorIs(t, Verify(pk, identity, msg), ErrInvalidSignature, "identity signature")
	unc := append([]byte{}, sig...)
	unc[0] &^= 0x80
	assert.ErrorIs(t, Verify(pk, unc, msg), ErrInvalidSignature, "compression flag cleared")

	idKey := make([]byte, PublicKeySize)
	idKey[0] = 0xc0
	assert.ErrorIs(t, Verify(idKey, sig, msg), ErrInvalidKey, "identity key")
	assert.ErrorIs(t, Verify(pk[:95], sig, msg), ErrInvalidKey, "short key")
}

func TestDER(t *testing.T) {
	der, _ := hex.DecodeString(herumiDER)
	pk, err := PublicKeyFromDER(der)
	require.NoError(t, err)
	assert.Len(t, pk, PublicKeySize)
	back, err := PublicKeyToDER(pk)
	require.NoError(t, err)
	assert.Equal(t, der, back)

	_, err = PublicKeyFromDER(der[:100])
	assert.ErrorIs(t, err, ErrInvalidKey)
	bad := append([]byte{}, der...)
	bad[10] ^= 1 // inside the algorithm OID
	_, err = PublicKeyFromDER(bad)
	assert.ErrorIs(t, err, ErrInvalidKey)
	_, err = PublicKeyToDER(pk[:10])
	assert.ErrorIs(t, err, ErrInvalidKey)
	_, err = SecretKeyFromLittleEndian(nil)
	assert.ErrorIs(t, err, ErrEmptySeed)
}

func BenchmarkVerify(b *testing.B) {
	h := sha256.Sum256([]byte("bench"))
	sk, err := SecretKeyFromLittleEndian(h[:])
	require.NoError(b, err)
	msg := []byte("\x0dic-state-root0123456789abcdef0123456789abcdef")
	sig, err := sk.Sign(msg)
	require.NoError(b, err)
	pk := sk.PublicKey()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Verify(pk, sig, msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	h := sha256.Sum256([]byte("bench"))
	sk, err := SecretKeyFromLittleEndian(h[:])
	require.NoError(b, err)
	msg := []byte("\x0dic-state-root0123456789abcdef0123456789abcdef")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := sk.Sign(msg); err != nil {
			b.Fatal(err)
		}
	}
}
