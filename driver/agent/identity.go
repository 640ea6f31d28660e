package agent

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/aviate-labs/agent-go/identity"
)

// loadIdentity reads the PEM at path: an ed25519 key (PKCS#8, as dfx and
// icp write it) or a secp256k1 EC key (with or without EC parameters).
// Errors name the file and the key type, never key material.
func loadIdentity(path string) (identity.Identity, error) {
	if path == "" {
		return new(identity.AnonymousIdentity), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &SettingsError{Field: "identity_pem", Value: path, Reason: "cannot read the file: " + errText(err)}
	}
	defer clear(data)
	var types []string
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		types = append(types, b.Type)
		clear(b.Bytes)
	}
	switch {
	case len(types) == 0:
		return nil, &SettingsError{Field: "identity_pem", Value: path, Reason: "no PEM block found"}
	case bytes.Contains(data, []byte("BEGIN ENCRYPTED PRIVATE KEY")):
		return nil, &SettingsError{Field: "identity_pem", Value: path, Reason: "encrypted PEM files are not supported; export the key with `icp identity export` to a plaintext file readable only by you"}
	case types[len(types)-1] == "EC PRIVATE KEY":
		if id, err := identity.NewSecp256k1IdentityFromPEM(data); err == nil {
			return id, nil
		}
		if id, err := identity.NewSecp256k1IdentityFromPEMWithoutParameters(data); err == nil {
			return id, nil
		}
		if id, err := identity.NewPrime256v1IdentityFromPEM(data); err == nil {
			return id, nil
		}
		return nil, &SettingsError{Field: "identity_pem", Value: path, Reason: "EC PRIVATE KEY is neither secp256k1 nor prime256v1"}
	case types[0] == "PRIVATE KEY":
		if id, err := identity.NewEd25519IdentityFromPEM(data); err == nil {
			return id, nil
		}
		return nil, &SettingsError{Field: "identity_pem", Value: path, Reason: "PRIVATE KEY is not an ed25519 PKCS#8 key"}
	}
	return nil, &SettingsError{Field: "identity_pem", Value: path, Reason: fmt.Sprintf("unsupported PEM block type %q", types[0])}
}

// errText renders an OS error without repeating the path.
func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}
