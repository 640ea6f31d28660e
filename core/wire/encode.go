package wire

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// encoder writes serde_json's pretty format: two-space indentation,
// `"key": value`, one array element per line, `[]` and `{}` when empty.
type encoder struct {
	buf   bytes.Buffer
	depth int // indentation level
	nest  int // pointer/interface nesting, to stop on cycles
	// compact selects serde_json::to_string's form (no whitespace).
	compact bool
}

func marshalValue(v any, compact bool) ([]byte, error) {
	e := &encoder{compact: compact}
	rv := reflect.ValueOf(v)
	if rv.IsValid() {
		// Work on an addressable copy so pointer-receiver marshalers apply.
		c := reflect.New(rv.Type()).Elem()
		c.Set(rv)
		rv = c
	}
	if err := e.value(rv, nil); err != nil {
		return nil, err
	}
	return e.buf.Bytes(), nil
}

func (e *encoder) fail(p *path, detail string, cause error) error {
	return &Error{Path: p.String(), Kind: ErrUnsupportedType, Detail: detail, Err: cause}
}

func (e *encoder) newline() {
	if e.compact {
		return
	}
	e.buf.WriteByte('\n')
	for i := 0; i < e.depth; i++ {
		e.buf.WriteString("  ")
	}
}

func (e *encoder) colon() {
	if e.compact {
		e.buf.WriteByte(':')
		return
	}
	e.buf.WriteString(": ")
}

// item starts the i-th element of an array or object: the opening bracket
// (i == 0) or a comma, then a newline and indentation.
func (e *encoder) item(i int, open byte) {
	if i == 0 {
		e.buf.WriteByte(open)
		e.depth++
	} else {
		e.buf.WriteByte(',')
	}
	e.newline()
}

// member starts the i-th member of an object: item, key and colon.
func (e *encoder) member(i int, key string) {
	e.item(i, '{')
	writeString(&e.buf, key)
	e.colon()
}

// end closes an array or object of n elements started with item: "[]" or
// "{}" when n is 0, else a newline, indentation and the closing bracket.
func (e *encoder) end(n int, open, closing byte) {
	if n == 0 {
		e.buf.WriteByte(open)
		e.buf.WriteByte(closing)
		return
	}
	e.depth--
	e.newline()
	e.buf.WriteByte(closing)
}

// marshaler returns the json.Marshaler or encoding.TextMarshaler of v,
// looking at the pointer receiver when v is addressable.
func marshaler(v reflect.Value, iface reflect.Type) (any, bool) {
	t := v.Type()
	if t.Implements(iface) {
		if t.Kind() == reflect.Pointer && v.IsNil() {
			return nil, false
		}
		return v.Interface(), true
	}
	if v.CanAddr() && reflect.PointerTo(t).Implements(iface) {
		return v.Addr().Interface(), true
	}
	return nil, false
}

func (e *encoder) value(v reflect.Value, p *path) error {
	if !v.IsValid() {
		e.buf.WriteString("null")
		return nil
	}
	if e.depth+e.nest > 2*maxDepth {
		return e.fail(p, "value nested too deeply (cycle?)", nil)
	}
	t := v.Type()
	if t == nodeType {
		return e.node(v.Addr().Interface().(*Node), p)
	}
	if t.Kind() == reflect.Pointer && t.Elem() == nodeType {
		if v.IsNil() {
			e.buf.WriteString("null")
			return nil
		}
		return e.node(v.Interface().(*Node), p)
	}
	if m, ok := marshaler(v, jsonMarshalerType); ok {
		raw, err := m.(json.Marshaler).MarshalJSON()
		if err != nil {
			return e.fail(p, "MarshalJSON failed", err)
		}
		n, err := parseDocument(raw)
		if err != nil {
			return e.fail(p, "MarshalJSON returned invalid JSON", err)
		}
		return e.node(n, p)
	}
	if m, ok := marshaler(v, textMarshalerType); ok {
		text, err := m.(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return e.fail(p, "MarshalText failed", err)
		}
		writeString(&e.buf, string(text))
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			e.buf.WriteString("null")
			return nil
		}
		elem := v.Elem()
		if t.Kind() == reflect.Interface && !elem.CanAddr() {
			c := reflect.New(elem.Type()).Elem()
			c.Set(elem)
			elem = c
		}
		e.nest++
		err := e.value(elem, p)
		e.nest--
		return err
	case reflect.Bool:
		e.buf.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.String:
		if t == numberType {
			s := v.String()
			if s == "" {
				s = "0"
			}
			if _, err := parseDocument([]byte(s)); err != nil {
				return e.fail(p, fmt.Sprintf("invalid json.Number %q", s), nil)
			}
			e.buf.WriteString(s)
			return nil
		}
		writeString(&e.buf, v.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.buf.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.buf.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		e.buf.WriteString(formatFloat(v.Float(), t.Bits()))
	case reflect.Slice, reflect.Array:
		return e.sequence(v, p)
	case reflect.Map:
		return e.mapValue(v, p)
	case reflect.Struct:
		return e.structValue(v, p)
	default:
		return e.fail(p, fmt.Sprintf("cannot encode %s", t), nil)
	}
	return nil
}

func (e *encoder) sequence(v reflect.Value, p *path) error {
	for i := 0; i < v.Len(); i++ {
		e.item(i, '[')
		if err := e.value(v.Index(i), p.elem(i)); err != nil {
			return err
		}
	}
	e.end(v.Len(), '[', ']')
	return nil
}

type mapEntry struct {
	key string
	num float64 // numeric order for integer keys
	val reflect.Value
}

// mapValue writes a map with its keys sorted as a Rust BTreeMap orders them:
// integers numerically, strings byte-wise.
func (e *encoder) mapValue(v reflect.Value, p *path) error {
	kt := v.Type().Key()
	entries := make([]mapEntry, 0, v.Len())
	numeric := false
	it := v.MapRange()
	for it.Next() {
		k := it.Key()
		var me mapEntry
		if kc := reflect.New(kt).Elem(); true {
			kc.Set(k)
			k = kc
		}
		if m, ok := marshaler(k, textMarshalerType); ok {
			text, err := m.(encoding.TextMarshaler).MarshalText()
			if err != nil {
				return e.fail(p, "map key MarshalText failed", err)
			}
			me.key = string(text)
		} else {
			switch kt.Kind() {
			case reflect.String:
				me.key = k.String()
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				numeric = true
				me.key = strconv.FormatInt(k.Int(), 10)
				me.num = float64(k.Int())
			case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
				numeric = true
				me.key = strconv.FormatUint(k.Uint(), 10)
				me.num = float64(k.Uint())
			default:
				return e.fail(p, fmt.Sprintf("map key type %s is not supported", kt), nil)
			}
		}
		val := reflect.New(v.Type().Elem()).Elem()
		val.Set(it.Value())
		me.val = val
		entries = append(entries, me)
	}
	sort.Slice(entries, func(i, j int) bool {
		if numeric && entries[i].num != entries[j].num {
			return entries[i].num < entries[j].num
		}
		return entries[i].key < entries[j].key
	})
	for i, me := range entries {
		e.member(i, me.key)
		if err := e.value(me.val, p.field(me.key)); err != nil {
			return err
		}
	}
	e.end(len(entries), '{', '}')
	return nil
}

func (e *encoder) structValue(v reflect.Value, p *path) error {
	si, err := cachedStructInfo(v.Type())
	if err != nil {
		return e.fail(p, "", err)
	}
	written := 0
	for i := range si.fields {
		f := &si.fields[i]
		fv := v.FieldByIndex(f.index)
		if f.omitEmpty && isEmpty(fv) {
			continue
		}
		e.member(written, f.name)
		written++
		if err := e.value(fv, p.field(f.name)); err != nil {
			return err
		}
	}
	e.end(written, '{', '}')
	return nil
}

// isEmpty is encoding/json's omitempty test.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// node writes a generic Node; member order and duplicates are kept and
// number literals are written verbatim.
func (e *encoder) node(n *Node, p *path) error {
	if e.depth > maxDepth {
		return e.fail(p, "value nested too deeply", nil)
	}
	switch n.Kind {
	case KindNull:
		e.buf.WriteString("null")
	case KindBool:
		e.buf.WriteString(strconv.FormatBool(n.Bool))
	case KindNumber:
		if _, err := parseDocument([]byte(n.Text)); err != nil || !strings.ContainsAny(n.Text[:1], "-0123456789") {
			return e.fail(p, fmt.Sprintf("invalid number literal %q", n.Text), nil)
		}
		e.buf.WriteString(n.Text)
	case KindString:
		writeString(&e.buf, n.Text)
	case KindArray:
		for i, it := range n.Items {
			e.item(i, '[')
			if err := e.node(it, p.elem(i)); err != nil {
				return err
			}
		}
		e.end(len(n.Items), '[', ']')
	case KindObject:
		for i, m := range n.Members {
			e.member(i, m.Key)
			if err := e.node(m.Value, p.field(m.Key)); err != nil {
				return err
			}
		}
		e.end(len(n.Members), '{', '}')
	default:
		return e.fail(p, fmt.Sprintf("invalid node kind %d", n.Kind), nil)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// writeString writes s as serde_json does: `"` and `\` escaped, short
// escapes for \b \f \n \r \t, other control characters as \u00xx, and
// everything else (including '<', '>', '&', U+2028, U+2029) raw. Invalid
// UTF-8 is replaced by U+FFFD, as a Rust String cannot hold it.
func writeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteString(s[start:i])
				b.WriteString("\uFFFD")
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xF])
		}
		i++
		start = i
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

// formatFloat renders a float as serde_json does (ryu's shortest
// representation, "1.0" for integral values, "1e20" style exponents outside
// ryu's decimal range, null for NaN and infinities).
func formatFloat(f float64, bits int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "null"
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	sci := strconv.FormatFloat(f, 'e', -1, bits) // d.ddddde±XX
	neg := false
	if sci[0] == '-' {
		neg = true
		sci = sci[1:]
	}
	mant, expText, _ := strings.Cut(sci, "e")
	exp, _ := strconv.Atoi(expText)
	digits := strings.Replace(mant, ".", "", 1)
	length := len(digits)
	kk := exp + 1 // position of the decimal point relative to the digits
	var out string
	switch {
	case length <= kk && kk <= 16:
		out = digits + strings.Repeat("0", kk-length) + ".0"
	case 0 < kk && kk <= 16:
		out = digits[:kk] + "." + digits[kk:]
	case -5 < kk && kk <= 0:
		out = "0." + strings.Repeat("0", -kk) + digits
	case length == 1:
		out = digits + "e" + strconv.Itoa(kk-1)
	default:
		out = digits[:1] + "." + digits[1:] + "e" + strconv.Itoa(kk-1)
	}
	if neg {
		return "-" + out
	}
	return out
}
