package cert

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"fmt"

	"github.com/aviate-labs/agent-go/principal"
)

// NodeKey is a simulated replica node's Ed25519 key, which signs query
// responses. It is safe for concurrent use.
type NodeKey struct {
	priv ed25519.PrivateKey
	der  []byte
	id   []byte
}

// NewNodeKey derives node index's key deterministically from seed.
func NewNodeKey(seed []byte, index int) (*NodeKey, error) {
	if len(seed) == 0 {
		return nil, ErrEmptySeed
	}
	h := sha256.Sum256(append([]byte(fmt.Sprintf("canic-sim/node-ed25519/%d/", index)), seed...))
	priv := ed25519.NewKeyFromSeed(h[:])
	der, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return nil, fmt.Errorf("cert: encode node key: %w", err)
	}
	return &NodeKey{priv: priv, der: der, id: principal.NewSelfAuthenticating(der).Raw}, nil
}

// PublicKeyDER returns the node's 44-byte DER Ed25519 public key, the value
// certified at /subnet/<sid>/node/<node_id>/public_key.
func (k *NodeKey) PublicKeyDER() []byte { return append([]byte{}, k.der...) }

// NodeID returns the node's principal bytes.
func (k *NodeKey) NodeID() []byte { return append([]byte{}, k.id...) }

// SignResponse signs a query response whose representation-independent
// hash is h, over ds-prefix "\x0Bic-response" ‖ h.
func (k *NodeKey) SignResponse(h [32]byte) []byte {
	msg := append([]byte("\x0bic-response"), h[:]...)
	return ed25519.Sign(k.priv, msg)
}
