// Package envelope decodes the CBOR request envelopes of the IC HTTP
// interface, computes request ids as the representation-independent hash of
// the content map, and authenticates senders: the anonymous principal, or a
// self-authenticating principal whose Ed25519, ECDSA secp256k1 or ECDSA
// P-256 signature over the request id verifies, within the ingress expiry
// window. Delegations are refused.
package envelope
