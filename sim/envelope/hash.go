package envelope

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"sort"

	"github.com/canic-backup/canic-backup/internal/leb128"
)

// HashOfMap is the IC's representation-independent hash of a CBOR map
// decoded generically: SHA-256 over the sorted concatenation of
// SHA-256(key) ‖ H(value) for every field.
func HashOfMap(m map[string]any) ([32]byte, error) {
	parts := make([][]byte, 0, len(m))
	for k, v := range m {
		hv, err := hashValue(v)
		if err != nil {
			return [32]byte{}, fmt.Errorf("field %q: %w", k, err)
		}
		hk := sha256.Sum256([]byte(k))
		parts = append(parts, append(hk[:], hv[:]...))
	}
	sort.Slice(parts, func(i, j int) bool { return bytes.Compare(parts[i], parts[j]) < 0 })
	return sha256.Sum256(bytes.Join(parts, nil)), nil
}

func hashValue(v any) ([32]byte, error) {
	switch x := v.(type) {
	case []byte:
		return sha256.Sum256(x), nil
	case string:
		return sha256.Sum256([]byte(x)), nil
	case uint64:
		return sha256.Sum256(uleb(x)), nil
	case int64:
		return sha256.Sum256(sleb(x)), nil
	case []any:
		var cat []byte
		for i, e := range x {
			h, err := hashValue(e)
			if err != nil {
				return [32]byte{}, fmt.Errorf("element %d: %w", i, err)
			}
			cat = append(cat, h[:]...)
		}
		return sha256.Sum256(cat), nil
	case map[string]any:
		return HashOfMap(x)
	case map[any]any:
		m, err := stringKeys(x)
		if err != nil {
			return [32]byte{}, err
		}
		return HashOfMap(m)
	default:
		return [32]byte{}, fmt.Errorf("%w: value of type %T cannot be hashed", ErrMalformed, v)
	}
}

func stringKeys(x map[any]any) (map[string]any, error) {
	m := make(map[string]any, len(x))
	for k, v := range x {
		ks, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("%w: map key %v is not text", ErrMalformed, k)
		}
		m[ks] = v
	}
	return m, nil
}

func uleb(n uint64) []byte { return leb128.EncodeUnsigned(n) }

func sleb(n int64) []byte { return leb128.EncodeSigned(n) }
