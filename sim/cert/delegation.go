package cert

import (
	"bytes"
	"fmt"

	"github.com/aviate-labs/agent-go/certification/hashtree"
)

// Delegation is the CBOR delegation an application subnet's certificates
// carry: the NNS subnet's certificate stating the subnet's public key and
// canister ranges.
type Delegation struct {
	SubnetID    []byte `cbor:"subnet_id"`
	Certificate []byte `cbor:"certificate"`
}

// Delegate signs, as the NNS subnet, a delegation to subnet sid: a
// certificate over nns (the NNS state tree, which must hold
// /subnet/<sid>/public_key and the ranges) pruned to /time and the paths
// keep, as a read_state of those paths would return it.
func (s *Signer) Delegate(nns *Tree, sid []byte, keep ...[][]byte) (*Delegation, error) {
	paths := append([][][]byte{{[]byte("time")}}, keep...)
	raw, err := s.Sign(nns.Pruned(paths))
	if err != nil {
		return nil, fmt.Errorf("cert: sign delegation: %w", err)
	}
	return &Delegation{SubnetID: append([]byte{}, sid...), Certificate: raw}, nil
}

// Pruned returns the tree with every subtree that lies on none of the
// paths replaced by its hash (hashtree.Pruned), as the IC prunes a
// certificate to the paths a read_state asked for. A path keeps everything
// below its end. The root hash is that of Node.
func (t *Tree) Pruned(paths [][][]byte) hashtree.Node {
	return t.pruned(paths, 0)
}

func (t *Tree) pruned(paths [][][]byte, depth int) hashtree.Node {
	for _, p := range paths {
		if len(p) == depth {
			return t.Node() // a kept path ends here: keep all below
		}
	}
	if t.isLeaf || len(t.children) == 0 {
		return prune(t.Node())
	}
	labels := t.sortedLabels()
	nodes := make([]hashtree.Node, len(labels))
	for i, l := range labels {
		var sub [][][]byte
		for _, p := range paths {
			if len(p) > depth && bytes.Equal(p[depth], l) {
				sub = append(sub, p)
			}
		}
		lab := hashtree.Labeled{Label: l, Tree: t.children[string(l)].Node()}
		if len(sub) == 0 {
			nodes[i] = prune(lab)
			continue
		}
		lab.Tree = t.children[string(l)].pruned(sub, depth+1)
		nodes[i] = lab
	}
	return prunedForest(nodes)
}

func prune(n hashtree.Node) hashtree.Node { return hashtree.Pruned(n.Reconstruct()) }

// prunedForest is forest, merging a fork of two pruned sides into one
// pruned node as the IC's witness generator does.
func prunedForest(nodes []hashtree.Node) hashtree.Node {
	switch len(nodes) {
	case 0:
		return hashtree.Empty{}
	case 1:
		return nodes[0]
	}
	mid := len(nodes) / 2
	l, r := prunedForest(nodes[:mid]), prunedForest(nodes[mid:])
	_, lp := l.(hashtree.Pruned)
	_, rp := r.(hashtree.Pruned)
	f := hashtree.Fork{LeftTree: l, RightTree: r}
	if lp && rp {
		return prune(f)
	}
	return f
}
