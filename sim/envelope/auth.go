package envelope

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"github.com/aviate-labs/agent-go/principal"
	"github.com/aviate-labs/secp256k1"
)

// AnonymousSender is the principal bytes of the anonymous caller (2vxsx-fae).
var AnonymousSender = []byte{0x04}

// MaxIngressTTL is how far in the future an ingress expiry may lie (the IC's
// five minutes plus thirty seconds of permitted clock drift).
const MaxIngressTTL = 5*time.Minute + 30*time.Second

var requestDomain = []byte("\x0aic-request")

// Authenticate checks the ingress expiry against now and the sender: the
// anonymous sender must not sign; any other sender must be the
// self-authenticating principal of sender_pubkey and sender_sig must verify
// over "\x0Aic-request" ‖ request id.
func (e *Envelope) Authenticate(now time.Time) error {
	if err := e.checkExpiry(now); err != nil {
		return err
	}
	if e.HasDelegation {
		return ErrDelegation
	}
	if bytes.Equal(e.Content.Sender, AnonymousSender) {
		if len(e.SenderPubKey) != 0 || len(e.SenderSig) != 0 {
			return fmt.Errorf("%w: the anonymous sender must not carry sender_pubkey or sender_sig", ErrBadSignature)
		}
		return nil
	}
	if len(e.SenderPubKey) == 0 || len(e.SenderSig) == 0 {
		return fmt.Errorf("%w: sender %s is not anonymous but the request is unsigned",
			ErrBadSignature, principal.Principal{Raw: e.Content.Sender})
	}
	if want := principal.NewSelfAuthenticating(e.SenderPubKey).Raw; !bytes.Equal(want, e.Content.Sender) {
		return fmt.Errorf("%w: sender %s does not match sender_pubkey (principal %s)", ErrBadSignature,
			principal.Principal{Raw: e.Content.Sender}, principal.Principal{Raw: want})
	}
	msg := append(append([]byte{}, requestDomain...), e.RequestID[:]...)
	return VerifySignature(e.SenderPubKey, msg, e.SenderSig)
}

func (e *Envelope) checkExpiry(now time.Time) error {
	exp := e.Content.IngressExpiry
	lo := uint64(now.UnixNano())
	hi := uint64(now.Add(MaxIngressTTL).UnixNano())
	if exp < lo || exp > hi {
		return fmt.Errorf("%w: Specified ingress_expiry not within expected range: minimum allowed expiry: %s, maximum allowed expiry: %s, provided expiry: %s",
			ErrExpired, fmtNanos(lo), fmtNanos(hi), fmtNanos(exp))
	}
	return nil
}

func fmtNanos(n uint64) string {
	return time.Unix(0, int64(n)).UTC().Format("2006-01-02 15:04:05.999999999 UTC")
}

var (
	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidSecp256k1   = asn1.ObjectIdentifier{1, 3, 132, 0, 10}
)

type spki struct {
	Algorithm struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue `asn1:"optional"`
	}
	PublicKey asn1.BitString
}

// VerifySignature verifies sig over msg with the DER public key der:
// Ed25519 (RFC 8410), ECDSA secp256k1 or P-256 (RFC 5480, 64-byte r‖s over
// SHA-256(msg)).
func VerifySignature(der, msg, sig []byte) error {
	var info spki
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) != 0 {
		return fmt.Errorf("%w: sender_pubkey is not a DER public key", ErrBadSignature)
	}
	if info.Algorithm.Algorithm.Equal(oidECPublicKey) {
		var curve asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &curve); err == nil && curve.Equal(oidSecp256k1) {
			return verifySecp256k1(info.PublicKey.Bytes, msg, sig)
		}
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return fmt.Errorf("%w: unsupported sender_pubkey: %v", ErrBadSignature, err)
	}
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if !ed25519.Verify(k, msg, sig) {
			return fmt.Errorf("%w: Ed25519 signature could not be verified: public key %s, signature %s",
				ErrBadSignature, hex.EncodeToString(k), hex.EncodeToString(sig))
		}
		return nil
	case *ecdsa.PublicKey:
		if len(sig) != 64 {
			return fmt.Errorf("%w: ECDSA signature must be 64 bytes, got %d", ErrBadSignature, len(sig))
		}
		h := sha256.Sum256(msg)
		if !ecdsa.Verify(k, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			return fmt.Errorf("%w: ECDSA P-256 signature could not be verified", ErrBadSignature)
		}
		return nil
	default:
		return fmt.Errorf("%w: unsupported sender_pubkey type %T", ErrBadSignature, pub)
	}
}

func verifySecp256k1(point, msg, sig []byte) error {
	pk, err := secp256k1.ParsePubKey(point, secp256k1.S256())
	if err != nil {
		return fmt.Errorf("%w: bad secp256k1 public key: %v", ErrBadSignature, err)
	}
	if len(sig) != 64 {
		return fmt.Errorf("%w: ECDSA signature must be 64 bytes, got %d", ErrBadSignature, len(sig))
	}
	s := secp256k1.Signature{R: new(big.Int).SetBytes(sig[:32]), S: new(big.Int).SetBytes(sig[32:])}
	h := sha256.Sum256(msg)
	if !s.Verify(h[:], pk) {
		return fmt.Errorf("%w: ECDSA secp256k1 signature could not be verified", ErrBadSignature)
	}
	return nil
}
