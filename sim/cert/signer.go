package cert

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/aviate-labs/agent-go/certification"
	"github.com/aviate-labs/agent-go/certification/bls"
	"github.com/aviate-labs/agent-go/certification/hashtree"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/fxamacker/cbor/v2"
)

// SelfDescribeTag is CBOR tag 55799, which the IC puts in front of
// certificates, envelopes and some state-tree values.
const SelfDescribeTag = 55799

// ErrEmptySeed is returned when a key would be derived from an empty seed.
var ErrEmptySeed = errors.New("cert: empty key seed")

// Signer is a simulated root subnet's threshold key: it holds the BLS12-381
// secret key and signs certificates over state trees. A Signer is safe for
// concurrent use.
type Signer struct {
	sk     *bls.SecretKey
	der    []byte
	subnet []byte
}

// NewSigner derives a subnet key deterministically from seed, so that a
// simulator restarted from the same state keeps the same root key.
func NewSigner(seed []byte) (*Signer, error) {
	if len(seed) == 0 {
		return nil, ErrEmptySeed
	}
	h := sha256.Sum256(append([]byte("canic-sim/subnet-bls/"), seed...))
	var sk bls.SecretKey
	if err := sk.SetLittleEndianMod(h[:]); err != nil {
		return nil, fmt.Errorf("cert: derive BLS key: %w", err)
	}
	der, err := certification.PublicKeyToDER(sk.GetPublicKey().Serialize())
	if err != nil {
		return nil, fmt.Errorf("cert: encode root key: %w", err)
	}
	return &Signer{
		sk:     &sk,
		der:    der,
		subnet: principal.NewSelfAuthenticating(der).Raw,
	}, nil
}

// RootKeyDER returns the 133-byte DER encoding of the subnet's public key,
// the form agents expect in /api/v2/status and icp expects after `-k`.
func (s *Signer) RootKeyDER() []byte { return append([]byte{}, s.der...) }

// SubnetID returns the root subnet's principal bytes: the self-authenticating
// id of the DER root key (SHA-224(DER) ‖ 0x02).
func (s *Signer) SubnetID() []byte { return append([]byte{}, s.subnet...) }

// Certificate is the CBOR form of an IC certificate without delegation.
type Certificate struct {
	Tree      cbor.RawMessage `cbor:"tree"`
	Signature []byte          `cbor:"signature"`
}

// Sign returns the tagged CBOR certificate over tree: the BLS signature of
// ds("ic-state-root") ‖ reconstruct(tree).
func (s *Signer) Sign(tree hashtree.Node) ([]byte, error) {
	raw, err := hashtree.Serialize(tree)
	if err != nil {
		return nil, fmt.Errorf("cert: encode tree: %w", err)
	}
	root := tree.Reconstruct()
	msg := append(hashtree.DomainSeparator("ic-state-root"), root[:]...)
	sig := s.sk.SignByte(msg).Serialize()
	out, err := cbor.Marshal(cbor.Tag{Number: SelfDescribeTag, Content: Certificate{Tree: raw, Signature: sig}})
	if err != nil {
		return nil, fmt.Errorf("cert: encode certificate: %w", err)
	}
	return out, nil
}
