package wire

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

var (
	nodeType            = reflect.TypeOf(Node{})
	numberType          = reflect.TypeOf(json.Number(""))
	jsonUnmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
	textUnmarshalerType = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
	jsonMarshalerType   = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
	textMarshalerType   = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()
)

type decoder struct {
	data []byte
}

func unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &Error{Path: "$", Kind: ErrUnsupportedType, Detail: fmt.Sprintf("Unmarshal needs a non-nil pointer, got %T", v)}
	}
	root, err := parseDocument(data)
	if err != nil {
		return err
	}
	d := &decoder{data: data}
	return d.value(root, rv.Elem(), nil)
}

func (d *decoder) fail(p *path, kind error, detail string, cause error) error {
	return &Error{Path: p.String(), Kind: kind, Detail: detail, Err: cause}
}

// describe renders a JSON value the way serde's "invalid type" messages do.
func describe(n *Node) string {
	switch n.Kind {
	case KindNull:
		return "null"
	case KindBool:
		return fmt.Sprintf("boolean `%t`", n.Bool)
	case KindNumber:
		if strings.ContainsAny(n.Text, ".eE") {
			return fmt.Sprintf("floating point `%s`", n.Text)
		}
		return fmt.Sprintf("integer `%s`", n.Text)
	case KindString:
		return fmt.Sprintf("string %q", n.Text)
	case KindArray:
		return "sequence"
	default:
		return "map"
	}
}

func (d *decoder) typeErr(n *Node, p *path, expected string) error {
	return d.fail(p, ErrInvalidType, fmt.Sprintf("invalid type: %s, expected %s", describe(n), expected), nil)
}

// value decodes n into the settable value v.
func (d *decoder) value(n *Node, v reflect.Value, p *path) error {
	t := v.Type()
	if t == nodeType {
		v.Set(reflect.ValueOf(*n.clone()))
		return nil
	}
	if t == numberType {
		if n.Kind != KindNumber {
			return d.typeErr(n, p, "a number")
		}
		v.SetString(n.Text)
		return nil
	}
	if t.Kind() == reflect.Pointer {
		if n.Kind == KindNull {
			v.SetZero()
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return d.value(n, v.Elem(), p)
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshalerType) {
		u := v.Addr().Interface().(json.Unmarshaler)
		if err := u.UnmarshalJSON(d.data[n.start:n.end]); err != nil {
			// A wire error returned as is by an Unmarshaler that decoded
			// with wire gets its path rebased onto this value's path; a
			// wrapped one (its text is already rendered) is prefixed with
			// this path and keeps its kind.
			var we *Error
			if errors.As(err, &we) {
				if err == error(we) && strings.HasPrefix(we.Path, "$") {
					we.Path = p.String() + we.Path[1:]
					return err
				}
				return d.fail(p, we.Kind, "", err)
			}
			return d.fail(p, ErrInvalidValue, "", err)
		}
		return nil
	}
	if reflect.PointerTo(t).Implements(textUnmarshalerType) {
		if n.Kind != KindString {
			return d.typeErr(n, p, "a string")
		}
		u := v.Addr().Interface().(encoding.TextUnmarshaler)
		if err := u.UnmarshalText([]byte(n.Text)); err != nil {
			return d.fail(p, ErrInvalidValue, "", err)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return d.fail(p, ErrUnsupportedType, fmt.Sprintf("cannot decode into interface %s", t), nil)
		}
		g, err := generic(n, p)
		if err != nil {
			return err
		}
		if g == nil {
			v.SetZero()
		} else {
			v.Set(reflect.ValueOf(g))
		}
		return nil
	case reflect.Bool:
		if n.Kind != KindBool {
			return d.typeErr(n, p, "a boolean")
		}
		v.SetBool(n.Bool)
		return nil
	case reflect.String:
		if n.Kind != KindString {
			return d.typeErr(n, p, "a string")
		}
		v.SetString(n.Text)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if n.Kind != KindNumber || strings.ContainsAny(n.Text, ".eE") {
			return d.typeErr(n, p, rustName(t))
		}
		return d.setInt(n.Text, v, p, "integer")
	case reflect.Float32, reflect.Float64:
		if n.Kind != KindNumber {
			return d.typeErr(n, p, rustName(t))
		}
		f, err := strconv.ParseFloat(n.Text, t.Bits())
		if err != nil || math.IsInf(f, 0) {
			return d.fail(p, ErrInvalidValue, fmt.Sprintf("invalid value: number `%s` out of range for %s", n.Text, rustName(t)), nil)
		}
		v.SetFloat(f)
		return nil
	case reflect.Slice:
		if n.Kind != KindArray {
			return d.typeErr(n, p, "a sequence")
		}
		s := reflect.MakeSlice(t, len(n.Items), len(n.Items))
		for i, it := range n.Items {
			if err := d.value(it, s.Index(i), p.elem(i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Array:
		if n.Kind != KindArray {
			return d.typeErr(n, p, fmt.Sprintf("an array of length %d", t.Len()))
		}
		if len(n.Items) != t.Len() {
			return d.fail(p, ErrInvalidValue, fmt.Sprintf("invalid length %d, expected an array of length %d", len(n.Items), t.Len()), nil)
		}
		for i, it := range n.Items {
			if err := d.value(it, v.Index(i), p.elem(i)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		return d.mapValue(n, v, p)
	case reflect.Struct:
		return d.structValue(n, v, p)
	}
	return d.fail(p, ErrUnsupportedType, fmt.Sprintf("cannot decode into %s", t), nil)
}

// setInt parses an integer literal into an integer-kinded value, enforcing
// the width and sign of its Go type.
func (d *decoder) setInt(text string, v reflect.Value, p *path, what string) error {
	t := v.Type()
	bad := func() error {
		return d.fail(p, ErrInvalidValue, fmt.Sprintf("invalid value: %s `%s`, expected %s", what, text, rustName(t)), nil)
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(text, 10, t.Bits())
		if err != nil {
			return bad()
		}
		v.SetInt(i)
	default:
		if strings.HasPrefix(text, "-") {
			return bad()
		}
		u, err := strconv.ParseUint(text, 10, t.Bits())
		if err != nil {
			return bad()
		}
		v.SetUint(u)
	}
	return nil
}

// rustName names a Go scalar type the way serde's messages name the Rust
// type it stands for.
func rustName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int:
		return "isize"
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "i" + strconv.Itoa(t.Bits())
	case reflect.Uint, reflect.Uintptr:
		return "usize"
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "u" + strconv.Itoa(t.Bits())
	case reflect.Float32, reflect.Float64:
		return "f" + strconv.Itoa(t.Bits())
	}
	return t.String()
}

func (d *decoder) mapValue(n *Node, v reflect.Value, p *path) error {
	t := v.Type()
	if n.Kind != KindObject {
		return d.typeErr(n, p, "a map")
	}
	kt := t.Key()
	m := reflect.MakeMapWithSize(t, len(n.Members))
	seen := make(map[string]struct{}, len(n.Members))
	for _, mem := range n.Members {
		fp := p.field(mem.Key)
		if _, dup := seen[mem.Key]; dup {
			return &Error{Path: p.String(), Kind: ErrDuplicateField, Field: mem.Key}
		}
		seen[mem.Key] = struct{}{}
		k := reflect.New(kt).Elem()
		switch {
		case reflect.PointerTo(kt).Implements(textUnmarshalerType):
			if err := k.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(mem.Key)); err != nil {
				return d.fail(fp, ErrInvalidValue, "invalid map key", err)
			}
		case kt.Kind() == reflect.String:
			k.SetString(mem.Key)
		case isIntKind(kt.Kind()):
			if err := d.setInt(mem.Key, k, fp, "map key"); err != nil {
				return err
			}
		default:
			return d.fail(p, ErrUnsupportedType, fmt.Sprintf("map key type %s is not supported", kt), nil)
		}
		e := reflect.New(t.Elem()).Elem()
		if err := d.value(mem.Value, e, fp); err != nil {
			return err
		}
		m.SetMapIndex(k, e)
	}
	v.Set(m)
	return nil
}

func isIntKind(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

func (d *decoder) structValue(n *Node, v reflect.Value, p *path) error {
	si, err := cachedStructInfo(v.Type())
	if err != nil {
		return d.fail(p, ErrUnsupportedType, "", err)
	}
	if n.Kind != KindObject {
		return d.typeErr(n, p, "struct "+v.Type().Name())
	}
	seen := make([]bool, len(si.fields))
	for _, mem := range n.Members {
		i, ok := si.byName[mem.Key]
		if !ok {
			continue // unknown fields are ignored, as serde does
		}
		if seen[i] {
			return &Error{Path: p.String(), Kind: ErrDuplicateField, Field: mem.Key}
		}
		seen[i] = true
		f := &si.fields[i]
		if err := d.value(mem.Value, v.FieldByIndex(f.index), p.field(f.name)); err != nil {
			return err
		}
	}
	for i := range si.fields {
		if seen[i] {
			continue
		}
		f := &si.fields[i]
		if !f.optional && !f.def {
			return &Error{Path: p.String(), Kind: ErrMissingField, Field: f.name}
		}
		v.FieldByIndex(f.index).SetZero()
	}
	return nil
}

// generic converts a node into the values an `any` receives: nil, bool,
// json.Number, string, []any, map[string]any.
func generic(n *Node, p *path) (any, error) {
	switch n.Kind {
	case KindNull:
		return nil, nil
	case KindBool:
		return n.Bool, nil
	case KindNumber:
		return json.Number(n.Text), nil
	case KindString:
		return n.Text, nil
	case KindArray:
		out := make([]any, len(n.Items))
		for i, it := range n.Items {
			g, err := generic(it, p.elem(i))
			if err != nil {
				return nil, err
			}
			out[i] = g
		}
		return out, nil
	default:
		out := make(map[string]any, len(n.Members))
		for _, m := range n.Members {
			if _, dup := out[m.Key]; dup {
				return nil, &Error{Path: p.String(), Kind: ErrDuplicateField, Field: m.Key}
			}
			g, err := generic(m.Value, p.field(m.Key))
			if err != nil {
				return nil, err
			}
			out[m.Key] = g
		}
		return out, nil
	}
}
