package wire

// Kind is the JSON type of a Node.
type Kind uint8

// The JSON value kinds.
const (
	KindNull Kind = iota
	KindBool
	KindNumber
	KindString
	KindArray
	KindObject
)

// String names the kind as serde's error messages do.
func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindBool:
		return "boolean"
	case KindNumber:
		return "number"
	case KindString:
		return "string"
	case KindArray:
		return "sequence"
	case KindObject:
		return "map"
	}
	return "unknown"
}

// Node is a generic JSON value that keeps object members in document order
// and keeps duplicate keys, so a document can be inspected or re-encoded
// byte-exact. Decoding into a *Node (or Node) captures the value as is;
// MarshalPretty of a Node writes it with serde_json's pretty printer.
type Node struct {
	// Kind is the JSON type of the value.
	Kind Kind
	// Bool is the value of a KindBool node.
	Bool bool
	// Text is the decoded string of a KindString node or the literal number
	// text of a KindNumber node (written back verbatim).
	Text string
	// Items are the elements of a KindArray node.
	Items []*Node
	// Members are the members of a KindObject node, in document order.
	Members []Member

	// start and end delimit the value in the parsed input (end exclusive).
	start, end int
}

// Member is one key/value pair of a JSON object.
type Member struct {
	// Key is the decoded member name.
	Key string
	// Value is the member's value.
	Value *Node
}

// Get returns the value of the first member named key of an object node, or
// nil when there is none (or the node is not an object).
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != KindObject {
		return nil
	}
	for _, m := range n.Members {
		if m.Key == key {
			return m.Value
		}
	}
	return nil
}

// ParseNode parses one JSON document into an order-preserving Node tree with
// serde_json's syntax rules (no trailing characters, valid UTF-8, no lone
// surrogates, nesting depth at most 128).
func ParseNode(data []byte) (*Node, error) {
	return parseDocument(data)
}

func (n *Node) clone() *Node {
	if n == nil {
		return nil
	}
	c := &Node{Kind: n.Kind, Bool: n.Bool, Text: n.Text}
	if n.Items != nil {
		c.Items = make([]*Node, len(n.Items))
		for i, it := range n.Items {
			c.Items[i] = it.clone()
		}
	}
	if n.Members != nil {
		c.Members = make([]Member, len(n.Members))
		for i, m := range n.Members {
			c.Members[i] = Member{Key: m.Key, Value: m.Value.clone()}
		}
	}
	return c
}
