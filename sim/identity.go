package sim

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"github.com/aviate-labs/agent-go/identity"
)

// controllerKey derives the controller's Ed25519 key from the key seed.
func controllerKey(seed []byte) ed25519.PrivateKey {
	h := sha256.Sum256(append([]byte("canic-sim/controller-ed25519/"), seed...))
	return ed25519.NewKeyFromSeed(h[:])
}

// controllerPEM encodes key as icp and dfx write Ed25519 identities: a
// PKCS#8 "PRIVATE KEY" block.
func controllerPEM(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode controller identity: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func controllerIdentity(key ed25519.PrivateKey) (*identity.Ed25519Identity, error) {
	id, err := identity.NewEd25519Identity(key.Public().(ed25519.PublicKey), key)
	if err != nil {
		return nil, fmt.Errorf("controller identity: %w", err)
	}
	return id, nil
}
