package certificate

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/aviate-labs/agent-go/certification/hashtree"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/canic-backup/canic-backup/internal/icbls"
	"github.com/fxamacker/cbor/v2"
)

// MainnetRootKey is the DER root key of the IC mainnet (the NNS subnet's
// public key), hex-encoded, as the IC's agents hard-code it.
const MainnetRootKey = "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100814c0e6ec71fab583b08bd81373c255c3c371b2e84863c98a4f1e08b74235d14fb5d9c0cd546d9685f913a0c0b2cc5341583bf4b4392e467db96d65b9bb4cb717112f8472e0d5a4d14505ffd7484b01291091c5f87b98883463f98091a0baaae"

// Errors of Verify; every error it returns matches ErrInvalid and, where it
// applies, one of the more specific ones.
var (
	// ErrInvalid is any certificate that does not verify.
	ErrInvalid = errors.New("invalid certificate")
	// ErrSignature is a signature that does not verify against the key.
	ErrSignature = fmt.Errorf("%w: signature", ErrInvalid)
	// ErrDelegation is a delegation that is malformed, badly signed, nested
	// or lacks the subnet's public key.
	ErrDelegation = fmt.Errorf("%w: delegation", ErrInvalid)
	// ErrNotAuthorized is a delegation whose canister ranges do not hold
	// the effective canister id: that subnet may not answer for it.
	ErrNotAuthorized = fmt.Errorf("%w: subnet not authorized for the canister", ErrInvalid)
)

// Certificate is a decoded certificate.
type Certificate struct {
	// Tree is the certified state tree.
	Tree hashtree.HashTree `cbor:"tree"`
	// Signature is the 48-byte BLS signature of the tree's root hash.
	Signature []byte `cbor:"signature"`
	// Delegation is set when an application subnet signed the certificate.
	Delegation *Delegation `cbor:"delegation,omitempty"`
}

// Delegation is the NNS subnet's statement of a subnet's key and ranges.
type Delegation struct {
	// SubnetID is the delegated subnet's principal bytes.
	SubnetID []byte `cbor:"subnet_id"`
	// Certificate is the CBOR certificate, signed by the root key, that
	// holds /subnet/<subnet_id>/public_key and the canister ranges.
	Certificate []byte `cbor:"certificate"`
}

// Decode decodes a CBOR certificate (with or without the self-describe tag).
func Decode(raw []byte) (*Certificate, error) {
	var c Certificate
	if err := cbor.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("%w: decode: %v", ErrInvalid, err)
	}
	if len(c.Signature) == 0 {
		return nil, fmt.Errorf("%w: no signature", ErrInvalid)
	}
	if c.Tree.Root == nil {
		return nil, fmt.Errorf("%w: no tree", ErrInvalid)
	}
	return &c, nil
}

// Verify decodes raw and checks that it is a certificate the IC whose root
// key is rootKeyDER (133-byte DER) issued with authority over the canister
// ecid: signed by the root key, or by a subnet whose delegation the root key
// signed and whose delegated ranges hold ecid. It does not check /time (see
// the transport's CheckTime).
func Verify(raw []byte, ecid principal.Principal, rootKeyDER []byte) (*Certificate, error) {
	return NewVerifier(rootKeyDER).Verify(raw, ecid)
}

// maxCachedDelegations bounds a Verifier's memory of verified delegations
// (one per subnet is what a client normally sees at a time).
const maxCachedDelegations = 64

// Verifier verifies certificates against one root key, as Verify does. It
// remembers the delegation certificates whose root-key signature it has
// checked (the IC sends the same delegation for minutes, and checking it
// is a second pairing per answer), keyed by their exact bytes; the ranges
// and key lookups still run for every certificate. It is safe for
// concurrent use.
type Verifier struct {
	rootKeyDER []byte
	mu         sync.Mutex
	verified   map[[32]byte]*Certificate // delegation certificates
}

// NewVerifier returns a Verifier for the 133-byte DER root key (checked on
// first use).
func NewVerifier(rootKeyDER []byte) *Verifier {
	return &Verifier{rootKeyDER: append([]byte{}, rootKeyDER...), verified: map[[32]byte]*Certificate{}}
}

// Verify is the package's Verify against v's root key.
func (v *Verifier) Verify(raw []byte, ecid principal.Principal) (*Certificate, error) {
	rootKey, err := icbls.PublicKeyFromDER(v.rootKeyDER)
	if err != nil {
		return nil, fmt.Errorf("%w: root key: %v", ErrInvalid, err)
	}
	c, err := Decode(raw)
	if err != nil {
		return nil, err
	}
	key := rootKey
	if c.Delegation != nil {
		if key, err = v.checkDelegation(c.Delegation, ecid, rootKey); err != nil {
			return nil, err
		}
	}
	if err := checkSignature(c, key); err != nil {
		return nil, err
	}
	return c, nil
}

// checkSignature verifies c's signature over ds("ic-state-root") ‖ root hash.
func checkSignature(c *Certificate, key []byte) error {
	root := c.Tree.Digest()
	msg := append(hashtree.DomainSeparator("ic-state-root"), root[:]...)
	if err := icbls.Verify(key, c.Signature, msg); err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return nil
}

// checkDelegation verifies d against the root key and returns the delegated
// subnet's 96-byte public key if its ranges hold ecid.
func (v *Verifier) checkDelegation(d *Delegation, ecid principal.Principal, rootKey []byte) ([]byte, error) {
	sid := principal.Principal{Raw: d.SubnetID}
	if len(d.SubnetID) == 0 {
		return nil, fmt.Errorf("%w: no subnet_id", ErrDelegation)
	}
	inner, err := v.delegationCertificate(d, sid, rootKey)
	if err != nil {
		return nil, err
	}
	ranges, err := delegatedRanges(inner.Tree, d.SubnetID, ecid.Raw)
	if err != nil {
		return nil, err
	}
	if !inRanges(ranges, ecid.Raw) {
		return nil, fmt.Errorf("%w: canister %s is outside the ranges delegated to subnet %s", ErrNotAuthorized, ecid, sid)
	}
	der, err := inner.Tree.Lookup(hashtree.Label("subnet"), d.SubnetID, hashtree.Label("public_key"))
	if err != nil {
		return nil, fmt.Errorf("%w of subnet %s: public key: %v", ErrDelegation, sid, err)
	}
	key, err := icbls.PublicKeyFromDER(der)
	if err != nil {
		return nil, fmt.Errorf("%w of subnet %s: public key: %v", ErrDelegation, sid, err)
	}
	return key, nil
}

// delegationCertificate decodes d's certificate and checks that it is not
// nested and that the root key signed it, once per distinct certificate.
func (v *Verifier) delegationCertificate(d *Delegation, sid principal.Principal, rootKey []byte) (*Certificate, error) {
	id := sha256.Sum256(append(append([]byte{}, rootKey...), d.Certificate...))
	v.mu.Lock()
	inner := v.verified[id]
	v.mu.Unlock()
	if inner != nil {
		return inner, nil
	}
	inner, err := Decode(d.Certificate)
	if err != nil {
		return nil, fmt.Errorf("%w of subnet %s: %v", ErrDelegation, sid, err)
	}
	if inner.Delegation != nil {
		return nil, fmt.Errorf("%w of subnet %s: nested delegation refused", ErrDelegation, sid)
	}
	if err := checkSignature(inner, rootKey); err != nil {
		return nil, fmt.Errorf("%w of subnet %s: not signed by the root key: %v", ErrDelegation, sid, err)
	}
	v.mu.Lock()
	if len(v.verified) >= maxCachedDelegations {
		clear(v.verified)
	}
	v.verified[id] = inner
	v.mu.Unlock()
	return inner, nil
}

// delegatedRanges reads the subnet's canister ranges from the delegation's
// tree: the sharded /canister_ranges/<sid>/<shard> form when the tree has it
// (the shard with the greatest label not above ecid, as ic-agent reads it),
// else the flat /subnet/<sid>/canister_ranges form.
func delegatedRanges(tree hashtree.HashTree, sid, ecid []byte) ([][2][]byte, error) {
	sub, err := tree.LookupSubTree(hashtree.Label("canister_ranges"), sid)
	if err == nil {
		return shardRanges(sub, sid, ecid)
	}
	var le hashtree.LookupError
	if !errors.As(err, &le) || (le.Type != hashtree.LookupResultAbsent && le.Type != hashtree.LookupResultUnknown) {
		return nil, fmt.Errorf("%w: /canister_ranges/%s: %v", ErrDelegation, principal.Principal{Raw: sid}, err)
	}
	raw, err := tree.Lookup(hashtree.Label("subnet"), sid, hashtree.Label("canister_ranges"))
	if err != nil {
		return nil, fmt.Errorf("%w: subnet %s: no canister ranges in either form: %v",
			ErrNotAuthorized, principal.Principal{Raw: sid}, err)
	}
	return decodeRanges(raw, "/subnet/<subnet_id>/canister_ranges")
}

func shardRanges(sub hashtree.Node, sid, ecid []byte) ([][2][]byte, error) {
	var shards [][]byte
	for _, p := range hashtree.ListPaths(sub, nil) {
		if len(p) != 1 {
			return nil, fmt.Errorf("%w: /canister_ranges/%s has a leaf at depth %d",
				ErrDelegation, principal.Principal{Raw: sid}, len(p)+2)
		}
		shards = append(shards, p[0])
	}
	sort.Slice(shards, func(i, j int) bool { return bytes.Compare(shards[i], shards[j]) < 0 })
	n := sort.Search(len(shards), func(i int) bool { return bytes.Compare(shards[i], ecid) > 0 })
	if n == 0 {
		return nil, fmt.Errorf("%w: no shard of /canister_ranges/%s starts at or below canister %s",
			ErrNotAuthorized, principal.Principal{Raw: sid}, principal.Principal{Raw: ecid})
	}
	raw, err := hashtree.NewHashTree(sub).Lookup(shards[n-1])
	if err != nil {
		return nil, fmt.Errorf("%w: shard: %v", ErrDelegation, err)
	}
	return decodeRanges(raw, "/canister_ranges/<subnet_id>/<shard>")
}

// decodeRanges decodes CBOR [[lo, hi], …] (self-describe tag allowed).
func decodeRanges(raw []byte, path string) ([][2][]byte, error) {
	var pairs [][][]byte
	if err := cbor.Unmarshal(raw, &pairs); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrDelegation, path, err)
	}
	out := make([][2][]byte, 0, len(pairs))
	for i, p := range pairs {
		if len(p) != 2 {
			return nil, fmt.Errorf("%w: %s: range %d has %d bounds", ErrDelegation, path, i, len(p))
		}
		out = append(out, [2][]byte{p[0], p[1]})
	}
	return out, nil
}

func inRanges(ranges [][2][]byte, id []byte) bool {
	for _, r := range ranges {
		if slices.Compare(r[0], id) <= 0 && slices.Compare(id, r[1]) <= 0 {
			return true
		}
	}
	return false
}
