package dfx

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/principal"

	"github.com/canic-backup/canic-backup/pluginapi"
)

// decodeRegistry decodes the candid reply of canic_subnet_registry
// (reference E.2): variant { Ok : vec record { pid; role; record : record
// { pid; role; parent_pid : opt principal; module_hash : opt blob;
// created_at : nat64 } }; Err : record { code; message } }. Without a .did
// file the CLIs only know field hashes, so fields are matched by the hash
// of their names.
func decodeRegistry(raw []byte) ([]pluginapi.RegistryEntry, error) {
	_, vals, err := idl.Decode(raw)
	if err != nil {
		return nil, unparsable("registry reply is not candid: %v", err)
	}
	if len(vals) != 1 {
		return nil, unparsable("registry reply has %d values, want 1", len(vals))
	}
	v, ok := vals[0].(*idl.Variant)
	if !ok {
		return nil, unparsable("registry reply is %T, want a variant", vals[0])
	}
	switch {
	case is(v.Name, "Err"):
		rec, _ := v.Value.(map[string]any)
		msg, _ := field(rec, "message").(string)
		code := ""
		if c, ok := field(rec, "code").(*idl.Variant); ok {
			code = c.Name
		}
		return nil, fmt.Errorf("canic_subnet_registry returned Err (code %s): %s", code, msg)
	case !is(v.Name, "Ok"):
		return nil, unparsable("registry reply variant %q", v.Name)
	}
	items, ok := v.Value.([]any)
	if !ok && v.Value != nil {
		return nil, unparsable("registry Ok is %T, want a vector", v.Value)
	}
	out := make([]pluginapi.RegistryEntry, 0, len(items))
	for i, it := range items {
		rec, ok := it.(map[string]any)
		if !ok {
			return nil, unparsable("registry entry %d is %T, want a record", i, it)
		}
		inner, _ := field(rec, "record").(map[string]any)
		if inner == nil {
			inner = rec
		}
		e := pluginapi.RegistryEntry{}
		if e.PID, err = principalText(field(rec, "pid")); err != nil {
			return nil, unparsable("registry entry %d pid: %v", i, err)
		}
		e.Role, _ = field(rec, "role").(string)
		if e.Role == "" {
			return nil, unparsable("registry entry %d (%s) has no role", i, e.PID)
		}
		if p := optValue(field(inner, "parent_pid")); p != nil {
			if e.ParentPID, err = principalText(p); err != nil {
				return nil, unparsable("registry entry %d parent_pid: %v", i, err)
			}
		}
		if h := optValue(field(inner, "module_hash")); h != nil {
			b, err := blobOf(h)
			if err != nil {
				return nil, unparsable("registry entry %d module_hash: %v", i, err)
			}
			e.ModuleHash = hex.EncodeToString(b)
		}
		if e.CreatedAt, err = uintOf(field(inner, "created_at")); err != nil {
			return nil, unparsable("registry entry %d created_at: %v", i, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// is reports whether a decoded label is name or the decimal hash of name.
func is(label, name string) bool {
	return label == name || label == idl.Hash(name).String()
}

func field(rec map[string]any, name string) any {
	if rec == nil {
		return nil
	}
	if v, ok := rec[name]; ok {
		return v
	}
	return rec[idl.Hash(name).String()]
}

// optValue unwraps an opt value as agent-go decodes it (nil or the value,
// possibly as a one-element slice).
func optValue(v any) any {
	if s, ok := v.([]any); ok && len(s) == 1 {
		if _, isByte := s[0].(uint8); !isByte {
			return s[0]
		}
	}
	return v
}

func principalText(v any) (string, error) {
	switch p := v.(type) {
	case principal.Principal:
		return p.String(), nil
	case *principal.Principal:
		if p != nil {
			return p.String(), nil
		}
	case string:
		if p != "" {
			return p, nil
		}
	}
	return "", fmt.Errorf("%T is not a principal", v)
}

func blobOf(v any) ([]byte, error) {
	switch b := v.(type) {
	case []byte:
		return b, nil
	case []any:
		out := make([]byte, len(b))
		for i, x := range b {
			n, ok := x.(uint8)
			if !ok {
				return nil, fmt.Errorf("element %d is %T, want nat8", i, x)
			}
			out[i] = n
		}
		return out, nil
	}
	return nil, fmt.Errorf("%T is not a blob", v)
}

func uintOf(v any) (uint64, error) {
	switch n := v.(type) {
	case uint64:
		return n, nil
	case uint32:
		return uint64(n), nil
	case idl.Nat:
		return n.BigInt().Uint64(), nil
	case *big.Int:
		return n.Uint64(), nil
	case string:
		return parseUnderscored(strings.TrimSpace(n))
	}
	return 0, fmt.Errorf("%T is not a nat64", v)
}
