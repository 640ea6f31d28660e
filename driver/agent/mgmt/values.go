package mgmt

import (
	"fmt"
	"math/big"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/principal"
)

// record is a generically decoded candid record, read by field name.
type record struct {
	what string
	m    map[string]any
}

func asRecord(what string, v any) (record, error) {
	if v == nil {
		return record{what: what, m: map[string]any{}}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return record{}, fmt.Errorf("%s: expected a record, got %T", what, v)
	}
	return record{what: what, m: m}, nil
}

func (r record) get(name string) (any, error) {
	v, ok := r.m[idl.HashString(name)]
	if !ok {
		v, ok = r.m[name]
	}
	if !ok {
		return nil, fmt.Errorf("%s: missing field %q", r.what, name)
	}
	return v, nil
}

func (r record) opt(name string) any {
	v, ok := r.m[idl.HashString(name)]
	if !ok {
		v = r.m[name]
	}
	return v
}

func (r record) sub(name string) (record, error) {
	v, err := r.get(name)
	if err != nil {
		return record{}, err
	}
	return asRecord(r.what+"."+name, v)
}

func (r record) nat64(name string) (uint64, error) {
	v, err := r.get(name)
	if err != nil {
		return 0, err
	}
	return toUint64(r.what+"."+name, v)
}

func (r record) blob(name string) ([]byte, error) {
	v, err := r.get(name)
	if err != nil {
		return nil, err
	}
	return toBlob(r.what+"."+name, v)
}

func (r record) text(name string) (string, error) {
	v, err := r.get(name)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s.%s: expected text, got %T", r.what, name, v)
	}
	return s, nil
}

func (r record) principal(name string) (principal.Principal, error) {
	v, err := r.get(name)
	if err != nil {
		return principal.Principal{}, err
	}
	return toPrincipal(r.what+"."+name, v)
}

func toPrincipal(what string, v any) (principal.Principal, error) {
	switch p := v.(type) {
	case principal.Principal:
		return p, nil
	case *principal.Principal:
		return *p, nil
	}
	return principal.Principal{}, fmt.Errorf("%s: expected a principal, got %T", what, v)
}

func toUint64(what string, v any) (uint64, error) {
	switch n := v.(type) {
	case uint64:
		return n, nil
	case uint32:
		return uint64(n), nil
	case idl.Nat:
		b := n.BigInt()
		if !b.IsUint64() {
			return 0, fmt.Errorf("%s: %s does not fit 64 bits", what, b)
		}
		return b.Uint64(), nil
	case *big.Int:
		if !n.IsUint64() {
			return 0, fmt.Errorf("%s: %s does not fit 64 bits", what, n)
		}
		return n.Uint64(), nil
	}
	return 0, fmt.Errorf("%s: expected a natural number, got %T", what, v)
}

// toUint64Sat is toUint64 saturating at the largest uint64 (cycle
// balances are nat and may exceed 64 bits in principle).
func toUint64Sat(what string, v any) (uint64, error) {
	var b *big.Int
	switch n := v.(type) {
	case idl.Nat:
		b = n.BigInt()
	case *big.Int:
		b = n
	default:
		return toUint64(what, v)
	}
	if !b.IsUint64() {
		if b.Sign() < 0 {
			return 0, fmt.Errorf("%s: %s is negative", what, b)
		}
		return ^uint64(0), nil
	}
	return b.Uint64(), nil
}

func toBlob(what string, v any) ([]byte, error) {
	switch b := v.(type) {
	case []byte:
		return b, nil
	case nil:
		return []byte{}, nil
	case []any:
		out := make([]byte, len(b))
		for i, x := range b {
			u, ok := x.(uint8)
			if !ok {
				return nil, fmt.Errorf("%s[%d]: expected a byte, got %T", what, i, x)
			}
			out[i] = u
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: expected a blob, got %T", what, v)
}

func toList(what string, v any) ([]any, error) {
	if v == nil {
		return nil, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: expected a vec, got %T", what, v)
	}
	return l, nil
}

// variantCase returns which of names the decoded variant v holds and its
// value.
func variantCase(what string, v any, names ...string) (string, any, error) {
	var name string
	var val any
	switch x := v.(type) {
	case *idl.Variant:
		name, val = x.Name, x.Value
	case idl.Variant:
		name, val = x.Name, x.Value
	default:
		return "", nil, fmt.Errorf("%s: expected a variant, got %T", what, v)
	}
	for _, n := range names {
		if name == n || name == idl.HashString(n) {
			return n, val, nil
		}
	}
	return "", nil, fmt.Errorf("%s: unknown variant case (field hash %s)", what, name)
}

// decodeOne decodes a reply holding exactly one value.
func decodeOne(method string, raw []byte) (any, error) {
	_, vals, err := idl.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: decode candid reply: %w", method, err)
	}
	if len(vals) != 1 {
		return nil, fmt.Errorf("%s: reply has %d values, want 1", method, len(vals))
	}
	return vals[0], nil
}
