package registry

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// ErrInvalidShape is returned when the registry JSON is neither an array nor
// an object whose "Ok" key holds an array. Its text is 0.35.1's.
var ErrInvalidShape = errors.New(`registry JSON must be an array or {"Ok": [...]}`)

// ErrSyntax wraps registry JSON that does not parse at all.
var ErrSyntax = errors.New("registry JSON is not valid JSON")

// EntryError reports a registry element whose field has an unusable shape.
// 0.35.1 silently dropped or blanked such values; this port refuses them so
// a canister is never left out of (or misplaced in) a backup unnoticed.
type EntryError struct {
	// Index is the element's 0-based position in the registry array.
	Index int
	// Pid is the element's pid when it has one, else "".
	Pid string
	// Field is the JSON path inside the element, e.g. "record.module_hash".
	Field string
	// Problem says what is wrong.
	Problem string
	// Value is the offending JSON text (truncated).
	Value string
}

// Error names the element, field and value.
func (e *EntryError) Error() string {
	who := fmt.Sprintf("registry entry [%d]", e.Index)
	if e.Pid != "" {
		who += " (" + e.Pid + ")"
	}
	return fmt.Sprintf("%s: field %s %s: %s", who, e.Field, e.Problem, e.Value)
}

// Parse reads a canic_subnet_registry response in either shape 0.35.1
// accepts: {"Ok": [...]} (icp --json and the local re-rendering) or a bare
// array. Entries keep registry order.
//
// Per element: pid must be a string; role is the element's own role (the
// nested record.role is ignored); kind is the element's kind when that key
// exists, else record.kind; parent_pid comes from record.parent_pid as null,
// a string, or a Candid opt rendered as [] / ["<pid>"]; module_hash comes
// from record.module_hash as null, a string, a byte array (rendered as
// lower-case hex) or a Candid opt wrapping one of those.
func Parse(data []byte) ([]Entry, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: input is not UTF-8", ErrSyntax)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing characters after the JSON value", ErrSyntax)
	}
	var items []any
	switch v := root.(type) {
	case map[string]any:
		if errVal, has := v["Err"]; has {
			return nil, fmt.Errorf("%w: the registry query returned Err: %s", ErrInvalidShape, render(errVal))
		}
		arr, ok := v["Ok"].([]any)
		if !ok {
			return nil, ErrInvalidShape
		}
		items = arr
	case []any:
		items = v
	default:
		return nil, ErrInvalidShape
	}
	entries := make([]Entry, 0, len(items))
	for i, item := range items {
		e, err := parseEntry(i, item)
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	return entries, nil
}

func parseEntry(index int, item any) (Entry, error) {
	obj, ok := item.(map[string]any)
	if !ok {
		return Entry{}, &EntryError{Index: index, Field: "(element)", Problem: "must be an object", Value: render(item)}
	}
	fail := func(pid, field, problem string, v any) error {
		return &EntryError{Index: index, Pid: pid, Field: field, Problem: problem, Value: render(v)}
	}
	pid, ok := obj["pid"].(string)
	if !ok {
		return Entry{}, fail("", "pid", "must be a string", obj["pid"])
	}
	e := Entry{Pid: pid}
	var err error
	if e.Role, err = optionalString(obj, "role"); err != nil {
		return Entry{}, fail(pid, "role", "must be a string or null", obj["role"])
	}
	var record map[string]any
	if raw, has := obj["record"]; has && raw != nil {
		if record, ok = raw.(map[string]any); !ok {
			return Entry{}, fail(pid, "record", "must be an object", raw)
		}
	}
	if _, has := obj["kind"]; has {
		if e.Kind, err = optionalString(obj, "kind"); err != nil {
			return Entry{}, fail(pid, "kind", "must be a string or null", obj["kind"])
		}
	} else if record != nil {
		if e.Kind, err = optionalString(record, "kind"); err != nil {
			return Entry{}, fail(pid, "record.kind", "must be a string or null", record["kind"])
		}
	}
	if record == nil {
		return e, nil
	}
	if raw, has := record["parent_pid"]; has {
		if e.ParentPid, ok = parentPid(raw); !ok {
			return Entry{}, fail(pid, "record.parent_pid", `must be null, a principal string, [] or ["<principal>"]`, raw)
		}
	}
	if raw, has := record["module_hash"]; has {
		if e.ModuleHash, ok = moduleHash(raw, true); !ok {
			return Entry{}, fail(pid, "record.module_hash", "must be null, a hash string, a non-empty byte array or a Candid opt of one", raw)
		}
	}
	return e, nil
}

func optionalString(obj map[string]any, key string) (*string, error) {
	switch v := obj[key].(type) {
	case nil:
		return nil, nil
	case string:
		return strPtr(v), nil
	default:
		return nil, errors.New("not a string")
	}
}

func parentPid(raw any) (*string, bool) {
	switch v := raw.(type) {
	case nil:
		return nil, true
	case string:
		return strPtr(v), true
	case []any:
		if len(v) == 0 {
			return nil, true
		}
		if s, ok := v[0].(string); ok && len(v) == 1 {
			return strPtr(s), true
		}
	}
	return nil, false
}

// moduleHash accepts null, text, a byte array, and (when unwrap is set) a
// Candid opt: [] for none or a one-element array wrapping text or bytes.
func moduleHash(raw any, unwrap bool) (*string, bool) {
	switch v := raw.(type) {
	case nil:
		return nil, true
	case string:
		if v == "" {
			return nil, false
		}
		return strPtr(v), true
	case []any:
		if len(v) == 0 {
			return nil, unwrap
		}
		if b, ok := byteArray(v); ok {
			return strPtr(hex.EncodeToString(b)), true
		}
		if unwrap && len(v) == 1 {
			if _, isArr := v[0].([]any); isArr || isString(v[0]) {
				h, ok := moduleHash(v[0], false)
				return h, ok && h != nil
			}
		}
	}
	return nil, false
}

func isString(v any) bool { _, ok := v.(string); return ok }

func byteArray(items []any) ([]byte, bool) {
	out := make([]byte, len(items))
	for i, it := range items {
		n, ok := it.(json.Number)
		if !ok {
			return nil, false
		}
		b, err := strconv.ParseUint(string(n), 10, 8)
		if err != nil {
			return nil, false
		}
		out[i] = byte(b)
	}
	return out, true
}

func render(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	const max = 120
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
