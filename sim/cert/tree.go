package cert

import (
	"bytes"
	"sort"

	"github.com/aviate-labs/agent-go/certification/hashtree"
)

// Tree is a mutable builder for a labeled hash tree. Insert leaves by path;
// Node returns the canonical hash tree with every forest's labels strictly
// increasing, as the IC's certification rules require. The zero value is an
// empty tree ready to use. A Tree is not safe for concurrent use.
type Tree struct {
	leaf     []byte
	isLeaf   bool
	children map[string]*Tree
}

// Insert stores value at path, replacing any subtree there. An empty path
// makes the tree itself a leaf.
func (t *Tree) Insert(value []byte, path ...[]byte) {
	n := t
	for _, label := range path {
		if n.isLeaf {
			n.isLeaf, n.leaf = false, nil
		}
		if n.children == nil {
			n.children = make(map[string]*Tree)
		}
		c, ok := n.children[string(label)]
		if !ok {
			c = &Tree{}
			n.children[string(label)] = c
		}
		n = c
	}
	n.children = nil
	n.isLeaf = true
	n.leaf = append([]byte{}, value...)
}

// InsertString is Insert with string labels, for readable call sites.
func (t *Tree) InsertString(value []byte, path ...string) {
	labels := make([][]byte, len(path))
	for i, p := range path {
		labels[i] = []byte(p)
	}
	t.Insert(value, labels...)
}

// Node returns the hash tree for the builder's contents.
func (t *Tree) Node() hashtree.Node {
	if t.isLeaf {
		return hashtree.Leaf(t.leaf)
	}
	if len(t.children) == 0 {
		return hashtree.Empty{}
	}
	labels := t.sortedLabels()
	nodes := make([]hashtree.Node, len(labels))
	for i, l := range labels {
		nodes[i] = hashtree.Labeled{Label: l, Tree: t.children[string(l)].Node()}
	}
	return forest(nodes)
}

func (t *Tree) sortedLabels() [][]byte {
	labels := make([][]byte, 0, len(t.children))
	for l := range t.children {
		labels = append(labels, []byte(l))
	}
	sort.Slice(labels, func(i, j int) bool { return bytes.Compare(labels[i], labels[j]) < 0 })
	return labels
}

// forest joins labeled nodes into a balanced binary fork tree, keeping order.
func forest(nodes []hashtree.Node) hashtree.Node {
	switch len(nodes) {
	case 0:
		return hashtree.Empty{}
	case 1:
		return nodes[0]
	}
	mid := len(nodes) / 2
	return hashtree.Fork{LeftTree: forest(nodes[:mid]), RightTree: forest(nodes[mid:])}
}
