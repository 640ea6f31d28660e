// Package icbls implements the Internet Computer's BLS signature scheme in
// pure Go: BLS12-381 with signatures in G1 (48-byte compressed) and public
// keys in G2 (96-byte compressed), hashing to G1 with the ciphersuite
// BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_ (the scheme the IC's
// certification spec names). Verify and the DER helpers are for clients;
// SecretKey and Sign exist for the simulator, which signs certificates.
//
// The curve arithmetic, hash-to-curve (RFC 9380) and pairing come from
// github.com/consensys/gnark-crypto, whose BLS12-381 code was audited
// (Kudelski Security, 2022) and is used by go-ethereum; no cgo is involved.
package icbls

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	bls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// DST is the domain separation tag of the IC's BLS signatures.
const DST = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"

// Sizes of the compressed encodings.
const (
	SignatureSize = bls12381.SizeOfG1AffineCompressed // 48
	PublicKeySize = bls12381.SizeOfG2AffineCompressed // 96
	// DERPublicKeySize is the size of a DER-wrapped public key (the IC's
	// root key as agents and /api/v2/status carry it).
	DERPublicKeySize = 133
)

// Errors returned by this package; match them with errors.Is.
var (
	// ErrInvalidKey is a public key that is malformed, not on the curve,
	// not in G2's prime-order subgroup, or the identity.
	ErrInvalidKey = errors.New("icbls: invalid public key")
	// ErrInvalidSignature is a signature that is malformed, not in G1's
	// prime-order subgroup, or the identity.
	ErrInvalidSignature = errors.New("icbls: invalid signature")
	// ErrVerify is a well-formed signature that does not verify.
	ErrVerify = errors.New("icbls: signature does not verify")
	// ErrEmptySeed is returned when a key would be derived from nothing.
	ErrEmptySeed = errors.New("icbls: empty key seed")
)

var (
	// derPrefix is the fixed 37-byte DER header of a BLS12-381 G2 key:
	// algorithm OID 1.3.6.1.4.1.44668.5.3.1.2.1, curve OID
	// 1.3.6.1.4.1.44668.5.3.2.1, then a 96-byte bit string.
	derPrefix = []byte{
		0x30, 0x81, 0x82, 0x30, 0x1d, 0x06, 0x0d, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xdc, 0x7c, 0x05,
		0x03, 0x01, 0x02, 0x01, 0x06, 0x0c, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xdc, 0x7c, 0x05, 0x03,
		0x02, 0x01, 0x03, 0x61, 0x00,
	}
	algorithmOID = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 44668, 5, 3, 1, 2, 1}
	curveOID     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 44668, 5, 3, 2, 1}
)

// PublicKeyFromDER returns the 96-byte compressed G2 key inside der, the
// 133-byte DER form of an IC subnet key. It checks the header exactly.
func PublicKeyFromDER(der []byte) ([]byte, error) {
	if len(der) != DERPublicKeySize || !bytes.Equal(der[:len(derPrefix)], derPrefix) {
		var info struct {
			Algorithm struct {
				Algorithm asn1.ObjectIdentifier
				Curve     asn1.ObjectIdentifier
			}
			Key asn1.BitString
		}
		if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("%w: not a DER BLS12-381 key (%d bytes)", ErrInvalidKey, len(der))
		}
		return nil, fmt.Errorf("%w: DER key has algorithm %v curve %v and %d key bits, want %v %v and %d",
			ErrInvalidKey, info.Algorithm.Algorithm, info.Algorithm.Curve, info.Key.BitLength,
			algorithmOID, curveOID, PublicKeySize*8)
	}
	return append([]byte{}, der[len(derPrefix):]...), nil
}

// PublicKeyToDER wraps a 96-byte compressed G2 key in the IC's DER form.
func PublicKeyToDER(pk []byte) ([]byte, error) {
	if len(pk) != PublicKeySize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrInvalidKey, len(pk), PublicKeySize)
	}
	return append(append([]byte{}, derPrefix...), pk...), nil
}

// Verify checks sig (48-byte compressed G1) over msg against the public key
// pk (96-byte compressed G2): e(sig, g2) == e(H(msg), pk). Errors match
// ErrInvalidKey, ErrInvalidSignature or ErrVerify.
func Verify(pk, sig, msg []byte) error {
	var key bls12381.G2Affine
	if err := decodeG2(&key, pk); err != nil {
		return err
	}
	var s bls12381.G1Affine
	if err := decodeG1(&s, sig); err != nil {
		return err
	}
	h, err := bls12381.HashToG1(msg, []byte(DST))
	if err != nil {
		return fmt.Errorf("icbls: hash to G1: %w", err)
	}
	_, _, _, g2 := bls12381.Generators()
	var negG2 bls12381.G2Affine
	negG2.Neg(&g2)
	ok, err := bls12381.PairingCheck([]bls12381.G1Affine{s, h}, []bls12381.G2Affine{negG2, key})
	if err != nil {
		return fmt.Errorf("icbls: pairing: %w", err)
	}
	if !ok {
		return ErrVerify
	}
	return nil
}

// decodeG2 reads exactly a compressed, non-identity G2 point in the
// prime-order subgroup (gnark-crypto's SetBytes checks curve and subgroup).
func decodeG2(p *bls12381.G2Affine, b []byte) error {
	if len(b) != PublicKeySize || b[0]&0x80 == 0 {
		return fmt.Errorf("%w: want %d compressed bytes, got %d", ErrInvalidKey, PublicKeySize, len(b))
	}
	n, err := p.SetBytes(b)
	if err != nil || n != len(b) {
		return fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	if p.IsInfinity() {
		return fmt.Errorf("%w: identity point", ErrInvalidKey)
	}
	return nil
}

// decodeG1 reads exactly a compressed, non-identity G1 point in the
// prime-order subgroup.
func decodeG1(p *bls12381.G1Affine, b []byte) error {
	if len(b) != SignatureSize || b[0]&0x80 == 0 {
		return fmt.Errorf("%w: want %d compressed bytes, got %d", ErrInvalidSignature, SignatureSize, len(b))
	}
	n, err := p.SetBytes(b)
	if err != nil || n != len(b) {
		return fmt.Errorf("%w: %v", ErrInvalidSignature, err)
	}
	if p.IsInfinity() {
		return fmt.Errorf("%w: identity point", ErrInvalidSignature)
	}
	return nil
}

// SecretKey is a BLS12-381 secret scalar. It signs for the simulator, which
// plays the IC's subnets; clients never need one. It is safe for concurrent
// use.
type SecretKey struct {
	k  big.Int
	pk []byte
}

// SecretKeyFromLittleEndian returns the key whose scalar is b read as a
// little-endian integer reduced modulo the group order (the derivation the
// simulator has always used, so a simulator keeps its root key).
func SecretKeyFromLittleEndian(b []byte) (*SecretKey, error) {
	if len(b) == 0 {
		return nil, ErrEmptySeed
	}
	be := make([]byte, len(b))
	for i, x := range b {
		be[len(b)-1-i] = x
	}
	var sk SecretKey
	sk.k.SetBytes(be)
	sk.k.Mod(&sk.k, fr.Modulus())
	if sk.k.Sign() == 0 {
		return nil, errors.New("icbls: secret key is zero")
	}
	var pub bls12381.G2Affine
	pub.ScalarMultiplicationBase(&sk.k)
	b96 := pub.Bytes()
	sk.pk = b96[:]
	return &sk, nil
}

// PublicKey returns the 96-byte compressed G2 public key.
func (sk *SecretKey) PublicKey() []byte { return append([]byte{}, sk.pk...) }

// Sign returns the 48-byte compressed G1 signature of msg.
func (sk *SecretKey) Sign(msg []byte) ([]byte, error) {
	h, err := bls12381.HashToG1(msg, []byte(DST))
	if err != nil {
		return nil, fmt.Errorf("icbls: hash to G1: %w", err)
	}
	var s bls12381.G1Affine
	s.ScalarMultiplication(&h, &sk.k)
	b := s.Bytes()
	return b[:], nil
}
