// Package leb128 is the one LEB128 codec of canic-backup: the unsigned
// form (Candid nat and lengths, CBOR-hashed request fields, the state
// tree's /time and reject codes) and the two's-complement signed form
// (Candid int and type indices).
package leb128

import "errors"

// ErrTooLong: the value does not fit in 64 bits.
var ErrTooLong = errors.New("LEB128 value too long")

// ErrTruncated: the input ended inside the value.
var ErrTruncated = errors.New("truncated LEB128 value")

// AppendUnsigned appends n's unsigned LEB128 encoding to dst.
func AppendUnsigned(dst []byte, n uint64) []byte {
	for {
		b := byte(n & 0x7f)
		n >>= 7
		if n != 0 {
			dst = append(dst, b|0x80)
			continue
		}
		return append(dst, b)
	}
}

// EncodeUnsigned is n's unsigned LEB128 encoding.
func EncodeUnsigned(n uint64) []byte { return AppendUnsigned(nil, n) }

// EncodeSigned is n's signed (two's-complement) LEB128 encoding.
func EncodeSigned(n int64) []byte {
	var out []byte
	for {
		b := byte(n & 0x7f)
		n >>= 7
		if (n == 0 && b&0x40 == 0) || (n == -1 && b&0x40 != 0) {
			return append(out, b)
		}
		out = append(out, b|0x80)
	}
}

// DecodeUnsigned reads an unsigned LEB128 value from the start of b and
// returns it with the number of bytes it took. A value wider than 64 bits
// is ErrTooLong, an unfinished one ErrTruncated.
func DecodeUnsigned(b []byte) (v uint64, n int, err error) {
	for i, x := range b {
		if i == 10 || (i == 9 && x > 1) {
			return 0, 0, ErrTooLong
		}
		v |= uint64(x&0x7f) << (7 * uint(i))
		if x&0x80 == 0 {
			return v, i + 1, nil
		}
	}
	return 0, 0, ErrTruncated
}

// DecodeSigned reads a signed (two's-complement) LEB128 value from the
// start of b and returns it with the number of bytes it took; a value of
// more than ten bytes is ErrTooLong, an unfinished one ErrTruncated.
func DecodeSigned(b []byte) (v int64, n int, err error) {
	var shift uint
	for i, c := range b {
		if shift > 63 {
			return 0, 0, ErrTooLong
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, i + 1, nil
		}
	}
	return 0, 0, ErrTruncated
}
