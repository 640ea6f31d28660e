package cert

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/aviate-labs/agent-go/certification/hashtree"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/canic-backup/canic-backup/internal/icbls"
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
	sk     *icbls.SecretKey
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
	sk, err := icbls.SecretKeyFromLittleEndian(h[:])
	if err != nil {
		return nil, fmt.Errorf("cert: derive BLS key: %w", err)
	}
	der, err := icbls.PublicKeyToDER(sk.PublicKey())
	if err != nil {
		return nil, fmt.Errorf("cert: encode root key: %w", err)
	}
	return &Signer{
		sk:     sk,
		der:    der,
		subnet: principal.NewSelfAuthenticating(der).Raw,
	}, nil
}

// RootKeyDER returns the 133-byte DER encoding of the subnet's public key,
// the form agents expect in /api/v2/status and icp expects after `-k`.
func (s *Signer) RootKeyDER() []byte { return append([]byte{}, s.der...) }

// SubnetID returns the subnet's principal bytes: the self-authenticating
// id of its DER key (SHA-224(DER) ‖ 0x02), which is how agents name the
// root subnet of a network that sends no delegation.
func (s *Signer) SubnetID() []byte { return append([]byte{}, s.subnet...) }

// Certificate is the CBOR form of an IC certificate.
type Certificate struct {
	Tree       cbor.RawMessage `cbor:"tree"`
	Signature  []byte          `cbor:"signature"`
	Delegation *Delegation     `cbor:"delegation,omitempty"`
}

// Sign returns the tagged CBOR certificate over tree: the BLS signature of
// ds("ic-state-root") ‖ reconstruct(tree).
func (s *Signer) Sign(tree hashtree.Node) ([]byte, error) {
	return s.SignDelegated(tree, nil)
}

// SignDelegated is Sign for an application subnet: the certificate carries
// d, the NNS subnet's delegation to this subnet (nil: none, as Sign).
func (s *Signer) SignDelegated(tree hashtree.Node, d *Delegation) ([]byte, error) {
	raw, err := hashtree.Serialize(tree)
	if err != nil {
		return nil, fmt.Errorf("cert: encode tree: %w", err)
	}
	root := tree.Reconstruct()
	msg := append(hashtree.DomainSeparator("ic-state-root"), root[:]...)
	sig, err := s.sk.Sign(msg)
	if err != nil {
		return nil, fmt.Errorf("cert: sign: %w", err)
	}
	out, err := cbor.Marshal(cbor.Tag{Number: SelfDescribeTag, Content: Certificate{Tree: raw, Signature: sig, Delegation: d}})
	if err != nil {
		return nil, fmt.Errorf("cert: encode certificate: %w", err)
	}
	return out, nil
}
