package replica

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/principal"

	"github.com/canic-backup/canic-backup/internal/leb128"
)

// decodeCandid decodes a candid message into generic values of the same
// shapes as agent-go's idl.Decode (records = map keyed by decimal field
// hash, variants = *idl.Variant, principals = principal.Principal, nat =
// idl.Nat, natN/intN = Go integers), except that a blob (vec nat8) decodes
// straight to []byte: agent-go builds a []any of bytes, about 0.3 s per
// 2,000,000-byte upload chunk.
func decodeCandid(b []byte) ([]any, error) {
	d := &decoder{b: b}
	if len(b) < 4 || string(b[:4]) != "DIDL" {
		return nil, errors.New("missing DIDL magic bytes")
	}
	d.p = 4
	n, err := d.uleb()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(b)) {
		return nil, fmt.Errorf("type table length %d exceeds message", n)
	}
	d.table = make([]ctype, n)
	for i := range d.table {
		if d.table[i], err = d.typeEntry(); err != nil {
			return nil, fmt.Errorf("type table entry %d: %w", i, err)
		}
	}
	nargs, err := d.uleb()
	if err != nil {
		return nil, err
	}
	if nargs > uint64(len(b)) {
		return nil, fmt.Errorf("argument count %d exceeds message", nargs)
	}
	types := make([]int64, nargs)
	for i := range types {
		if types[i], err = d.sleb(); err != nil {
			return nil, err
		}
	}
	out := make([]any, 0, nargs)
	for _, t := range types {
		v, err := d.value(t, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ctype is a composite type-table entry.
type ctype struct {
	code   int64   // -18 opt, -19 vec, -20 record, -21 variant
	inner  int64   // opt/vec element type
	hashes []int64 // record/variant field hashes
	fields []int64 // record/variant field types
}

type decoder struct {
	b     []byte
	p     int
	table []ctype
}

var errShort = errors.New("message too short")

func (d *decoder) uleb() (uint64, error) {
	v, n, err := leb128.DecodeUnsigned(d.b[d.p:])
	if err != nil {
		return 0, errors.New("invalid LEB128 number")
	}
	d.p += n
	return v, nil
}

func (d *decoder) sleb() (int64, error) {
	v, n, err := leb128.DecodeSigned(d.b[d.p:])
	if err != nil {
		return 0, errors.New("invalid SLEB128 number")
	}
	d.p += n
	return v, nil
}

func (d *decoder) take(n uint64) ([]byte, error) {
	if n > uint64(len(d.b)-d.p) {
		return nil, errShort
	}
	out := d.b[d.p : d.p+int(n)]
	d.p += int(n)
	return out, nil
}

func (d *decoder) typeEntry() (ctype, error) {
	code, err := d.sleb()
	if err != nil {
		return ctype{}, err
	}
	t := ctype{code: code}
	switch code {
	case -18, -19:
		t.inner, err = d.sleb()
		return t, err
	case -20, -21:
		n, err := d.uleb()
		if err != nil {
			return t, err
		}
		if n > uint64(len(d.b)) {
			return t, errShort
		}
		for i := uint64(0); i < n; i++ {
			h, err := d.uleb()
			if err != nil {
				return t, err
			}
			ft, err := d.sleb()
			if err != nil {
				return t, err
			}
			t.hashes = append(t.hashes, int64(h))
			t.fields = append(t.fields, ft)
		}
		return t, nil
	default:
		return t, fmt.Errorf("unsupported type code %d", code)
	}
}

func (d *decoder) value(t int64, depth int) (any, error) {
	if depth > 64 {
		return nil, errors.New("value nested too deeply")
	}
	if t >= 0 {
		if t >= int64(len(d.table)) {
			return nil, fmt.Errorf("type index %d out of range", t)
		}
		return d.composite(d.table[t], depth)
	}
	switch t {
	case -1, -16: // null, reserved
		return nil, nil
	case -2:
		b, err := d.take(1)
		if err != nil {
			return nil, err
		}
		if b[0] > 1 {
			return nil, fmt.Errorf("invalid bool %d", b[0])
		}
		return b[0] == 1, nil
	case -3:
		return d.bigNat()
	case -4:
		return d.bigInt()
	case -5, -9:
		b, err := d.take(1)
		if err != nil {
			return nil, err
		}
		if t == -5 {
			return b[0], nil
		}
		return int8(b[0]), nil
	case -6, -10:
		b, err := d.take(2)
		if err != nil {
			return nil, err
		}
		v := binary.LittleEndian.Uint16(b)
		if t == -6 {
			return v, nil
		}
		return int16(v), nil
	case -7, -11, -13:
		b, err := d.take(4)
		if err != nil {
			return nil, err
		}
		v := binary.LittleEndian.Uint32(b)
		switch t {
		case -7:
			return v, nil
		case -11:
			return int32(v), nil
		default:
			return math.Float32frombits(v), nil
		}
	case -8, -12, -14:
		b, err := d.take(8)
		if err != nil {
			return nil, err
		}
		v := binary.LittleEndian.Uint64(b)
		switch t {
		case -8:
			return v, nil
		case -12:
			return int64(v), nil
		default:
			return math.Float64frombits(v), nil
		}
	case -15:
		n, err := d.uleb()
		if err != nil {
			return nil, err
		}
		b, err := d.take(n)
		if err != nil {
			return nil, err
		}
		if !utf8.Valid(b) {
			return nil, errors.New("invalid utf8 text")
		}
		return string(b), nil
	case -24:
		b, err := d.take(1)
		if err != nil {
			return nil, err
		}
		if b[0] != 1 {
			return nil, errors.New("opaque principal reference")
		}
		n, err := d.uleb()
		if err != nil {
			return nil, err
		}
		raw, err := d.take(n)
		if err != nil {
			return nil, err
		}
		return principal.Principal{Raw: append([]byte{}, raw...)}, nil
	default:
		return nil, fmt.Errorf("unsupported type code %d", t)
	}
}

func (d *decoder) composite(t ctype, depth int) (any, error) {
	switch t.code {
	case -18:
		b, err := d.take(1)
		if err != nil {
			return nil, err
		}
		switch b[0] {
		case 0:
			return nil, nil
		case 1:
			return d.value(t.inner, depth+1)
		default:
			return nil, fmt.Errorf("invalid opt tag %d", b[0])
		}
	case -19:
		n, err := d.uleb()
		if err != nil {
			return nil, err
		}
		if t.inner == -5 { // blob
			b, err := d.take(n)
			if err != nil {
				return nil, err
			}
			return append([]byte{}, b...), nil
		}
		if n > uint64(len(d.b)-d.p) && t.inner != -1 && t.inner != -16 {
			return nil, errShort
		}
		out := make([]any, 0, min(n, 1<<16))
		for i := uint64(0); i < n; i++ {
			v, err := d.value(t.inner, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case -20:
		m := make(map[string]any, len(t.fields))
		for i, ft := range t.fields {
			v, err := d.value(ft, depth+1)
			if err != nil {
				return nil, err
			}
			m[strconv.FormatInt(t.hashes[i], 10)] = v
		}
		return m, nil
	default: // -21 variant
		idx, err := d.uleb()
		if err != nil {
			return nil, err
		}
		if idx >= uint64(len(t.fields)) {
			return nil, fmt.Errorf("variant index %d out of range", idx)
		}
		v, err := d.value(t.fields[idx], depth+1)
		if err != nil {
			return nil, err
		}
		return &idl.Variant{Name: strconv.FormatInt(t.hashes[idx], 10), Value: v}, nil
	}
}

func (d *decoder) bigNat() (any, error) {
	v := new(big.Int)
	var shift uint
	for {
		b, err := d.take(1)
		if err != nil {
			return nil, err
		}
		v.Or(v, new(big.Int).Lsh(big.NewInt(int64(b[0]&0x7f)), shift))
		shift += 7
		if b[0]&0x80 == 0 {
			return idl.NewBigNat(v), nil
		}
	}
}

func (d *decoder) bigInt() (any, error) {
	v := new(big.Int)
	var shift uint
	for {
		b, err := d.take(1)
		if err != nil {
			return nil, err
		}
		v.Or(v, new(big.Int).Lsh(big.NewInt(int64(b[0]&0x7f)), shift))
		shift += 7
		if b[0]&0x80 == 0 {
			if b[0]&0x40 != 0 {
				v.Sub(v, new(big.Int).Lsh(big.NewInt(1), shift))
			}
			return idl.NewBigInt(v), nil
		}
	}
}
