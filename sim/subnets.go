package sim

import (
	"bytes"
	"fmt"
	"sync"
	"time"

	"github.com/aviate-labs/agent-go/certification/hashtree"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/canic-backup/canic-backup/sim/cert"
	"github.com/fxamacker/cbor/v2"
)

// DefaultSubnets is the number of subnets when Options.Subnets is zero:
// the NNS subnet plus two application subnets, the mainnet shape.
const DefaultSubnets = 3

// MaxSubnets bounds Options.Subnets.
const MaxSubnets = 64

// subnetRangeBits is the size of each subnet's canister range in the
// mainnet shape: 2^20 canister indexes, as mainnet allots them.
const subnetRangeBits = 20

// delegationTTL is how long a signed delegation is reused; the replica
// refreshes its NNS delegation every few minutes in the same way.
const delegationTTL = 5 * time.Minute

// subnet is one simulated subnet: its threshold key, its node, the range
// of canister ids it serves, and (application subnets) the delegation the
// NNS subnet signed for it.
type subnet struct {
	index  int // 0 is the NNS (root) subnet
	signer *cert.Signer
	node   *cert.NodeKey
	lo, hi []byte // canister id range, inclusive

	mu    sync.Mutex
	deleg map[bool]*cachedDelegation // by tree form
}

type cachedDelegation struct {
	d  *cert.Delegation
	at time.Time
}

func (sn *subnet) id() []byte { return sn.signer.SubnetID() }

func (sn *subnet) holds(id []byte) bool {
	return bytes.Compare(sn.lo, id) <= 0 && bytes.Compare(id, sn.hi) <= 0
}

// newSubnets derives n subnets from seed. Subnet 0 keeps the key a single
// subnet simulator has always had (the root key), so a one-subnet
// simulator is unchanged; with n > 1 it holds the first 2^20 ids and each
// application subnet the next 2^20.
func newSubnets(seed []byte, n int) ([]*subnet, error) {
	if n < 1 || n > MaxSubnets {
		return nil, fmt.Errorf("sim: Subnets is %d, want 1..%d", n, MaxSubnets)
	}
	out := make([]*subnet, n)
	for i := range out {
		kseed := seed
		if i > 0 {
			kseed = append(append([]byte{}, seed...), fmt.Sprintf("/subnet/%d", i)...)
		}
		signer, err := cert.NewSigner(kseed)
		if err != nil {
			return nil, fmt.Errorf("sim: subnet %d: %w", i, err)
		}
		node, err := cert.NewNodeKey(seed, i)
		if err != nil {
			return nil, fmt.Errorf("sim: subnet %d: %w", i, err)
		}
		sn := &subnet{index: i, signer: signer, node: node, deleg: map[bool]*cachedDelegation{}}
		if n == 1 {
			sn.lo, sn.hi = rangeLow, rangeHigh
		} else {
			sn.lo = canisterIDAt(uint64(i) << subnetRangeBits)
			sn.hi = canisterIDAt(uint64(i+1)<<subnetRangeBits - 1)
		}
		out[i] = sn
	}
	return out, nil
}

// canisterIDAt forms the IC canister id of a 64-bit index.
func canisterIDAt(index uint64) []byte {
	id := make([]byte, 10)
	for i := 0; i < 8; i++ {
		id[i] = byte(index >> (56 - 8*i))
	}
	id[8], id[9] = 0x01, 0x01
	return id
}

// fleetBases is where the fleet's canisters go: on the application
// subnets, root first (none on the NNS subnet); nil with one subnet.
func fleetBases(subnets []*subnet) []uint64 {
	if len(subnets) < 2 {
		return nil
	}
	var bases []uint64
	for _, sn := range subnets[1:] {
		bases = append(bases, uint64(sn.index)<<subnetRangeBits)
	}
	return bases
}

// subnetFor returns the subnet that serves canister id; ids outside every
// range (the management canister's empty id, unknown ids) go to the NNS
// subnet.
func (s *Simulator) subnetFor(id []byte) *subnet {
	for _, sn := range s.subnets[1:] {
		if sn.holds(id) {
			return sn
		}
	}
	return s.subnets[0]
}

// subnetByID returns the subnet with principal sid, or nil.
func (s *Simulator) subnetByID(sid []byte) *subnet {
	for _, sn := range s.subnets {
		if bytes.Equal(sn.id(), sid) {
			return sn
		}
	}
	return nil
}

// rangesCBOR is the subnet's canister ranges as the state tree holds them.
func (sn *subnet) rangesCBOR() []byte {
	b, _ := cbor.Marshal(cbor.Tag{Number: cert.SelfDescribeTag, Content: [][][]byte{{sn.lo, sn.hi}}})
	return b
}

// insertSubnet certifies sn's public key, canister ranges and node public
// key, which ic-agent reads to verify query signatures. The ranges go in
// the sharded /canister_ranges/<sid>/<lo> form, and in the flat
// /subnet/<sid>/canister_ranges form when flat is set: the replica keeps
// the flat form of a non-NNS subnet only in v2 read_state answers
// (DeprecatedCanisterRangesFilter in rs/http_endpoints/public).
func (sn *subnet) insertSubnet(tree *cert.Tree, flat bool) {
	sid := sn.id()
	ranges := sn.rangesCBOR()
	tree.Insert(sn.signer.RootKeyDER(), []byte("subnet"), sid, []byte("public_key"))
	if flat || sn.index == 0 {
		tree.Insert(ranges, []byte("subnet"), sid, []byte("canister_ranges"))
	}
	tree.Insert(sn.node.PublicKeyDER(), []byte("subnet"), sid, []byte("node"), sn.node.NodeID(), []byte("public_key"))
	tree.Insert(ranges, []byte("canister_ranges"), sid, sn.lo)
}

// sign certifies tree as sn. An application subnet's certificate carries
// the NNS delegation, with the sharded /canister_ranges/<sid>/<shard> form
// (treeForm: v4 call and v3 read_state answers) or the flat
// /subnet/<sid>/canister_ranges form (v2 endpoints and v3 call), as the
// replica's CanisterRangesFilter chooses them.
func (s *Simulator) sign(sn *subnet, tree hashtree.Node, treeForm bool) ([]byte, error) {
	if sn.index == 0 {
		return sn.signer.Sign(tree)
	}
	d, err := s.delegation(sn, treeForm)
	if err != nil {
		return nil, err
	}
	return sn.signer.SignDelegated(tree, d)
}

// delegation returns the NNS subnet's delegation to sn, signed at most
// delegationTTL ago.
func (s *Simulator) delegation(sn *subnet, treeForm bool) (*cert.Delegation, error) {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	now := s.now()
	if c := sn.deleg[treeForm]; c != nil && now.Sub(c.at) < delegationTTL && !now.Before(c.at) {
		return c.d, nil
	}
	// The NNS state tree: /time, and every subnet's key, node and ranges
	// in both forms; the delegation keeps sn's key and one form.
	var nns cert.Tree
	nns.InsertString(cert.LEB128(uint64(now.UnixNano())), "time")
	for _, o := range s.subnets {
		o.insertSubnet(&nns, true)
	}
	sid := sn.id()
	keep := [][][]byte{{[]byte("subnet"), sid, []byte("public_key")}}
	if treeForm {
		// only the shard that holds the canister (each simulated subnet
		// has one, labelled with its range's start)
		keep = append(keep, [][]byte{[]byte("canister_ranges"), sid, sn.lo})
	} else {
		keep = append(keep, [][]byte{[]byte("subnet"), sid, []byte("canister_ranges")})
	}
	d, err := s.subnets[0].signer.Delegate(&nns, sid, keep...)
	if err != nil {
		return nil, err
	}
	sn.deleg[treeForm] = &cachedDelegation{d: d, at: now}
	return d, nil
}

// SubnetInfo describes one simulated subnet in sim.json.
type SubnetInfo struct {
	// ID is the subnet's principal text.
	ID string `json:"id"`
	// Kind is "nns" (the root subnet, whose key is the root key) or
	// "application".
	Kind string `json:"kind"`
	// RangeStart and RangeEnd bound the canister ids the subnet serves.
	RangeStart string `json:"range_start"`
	RangeEnd   string `json:"range_end"`
	// PublicKeyHex is the subnet's 266-hex DER BLS public key.
	PublicKeyHex string `json:"public_key_hex"`
}

func (sn *subnet) info() SubnetInfo {
	kind := "application"
	if sn.index == 0 {
		kind = "nns"
	}
	return SubnetInfo{
		ID: principal.Principal{Raw: sn.id()}.String(), Kind: kind,
		RangeStart: principal.Principal{Raw: sn.lo}.String(), RangeEnd: principal.Principal{Raw: sn.hi}.String(),
		PublicKeyHex: fmt.Sprintf("%x", sn.signer.RootKeyDER()),
	}
}

// Subnets returns the simulated subnets, the NNS subnet first.
func (s *Simulator) Subnets() []SubnetInfo {
	out := make([]SubnetInfo, len(s.subnets))
	for i, sn := range s.subnets {
		out[i] = sn.info()
	}
	return out
}

// SubnetOf returns the principal of the subnet that serves canister id.
func (s *Simulator) SubnetOf(id principal.Principal) principal.Principal {
	return principal.Principal{Raw: s.subnetFor(id.Raw).id()}
}
