// Package principal parses and renders Internet Computer textual principals
// exactly as candid's Principal::from_text does (canic-backup 0.35.1 §0.4).
package principal

import (
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
)

// MaxLength is the largest number of data bytes a principal may have.
const MaxLength = 29

// Sentinel errors; every error Parse returns matches one of them.
var (
	// ErrEmpty: the text is empty (or only dashes).
	ErrEmpty = errors.New("principal text is empty")
	// ErrBase32: the text (without dashes) is not lower-case base32.
	ErrBase32 = errors.New("principal text is not valid base32")
	// ErrTooShort: fewer than 4 bytes (no room for the checksum).
	ErrTooShort = errors.New("principal text is too short")
	// ErrTooLong: more than MaxLength data bytes.
	ErrTooLong = errors.New("principal is longer than 29 bytes")
	// ErrChecksum: the CRC-32 does not match the data.
	ErrChecksum = errors.New("principal checksum mismatch")
	// ErrNotCanonical: the text decodes but is not in canonical form
	// (wrong dash grouping, trailing bits).
	ErrNotCanonical = errors.New("principal text is not in canonical form")
)

var encoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Principal is the raw bytes of an IC principal.
type Principal struct {
	raw string // bytes, kept as a string so Principal is comparable
}

// Management is the management canister, "aaaaa-aa" (no bytes).
var Management = Principal{}

// FromBytes makes a principal from its bytes (at most MaxLength).
func FromBytes(b []byte) (Principal, error) {
	if len(b) > MaxLength {
		return Principal{}, fmt.Errorf("%w: %d bytes", ErrTooLong, len(b))
	}
	return Principal{raw: string(b)}, nil
}

// Bytes returns a copy of the principal's bytes.
func (p Principal) Bytes() []byte { return []byte(p.raw) }

// String renders the canonical text: lower-case base32 of crc32||bytes with
// a dash after every five characters.
func (p Principal) String() string {
	buf := make([]byte, 4+len(p.raw))
	binary.BigEndian.PutUint32(buf, crc32.ChecksumIEEE([]byte(p.raw)))
	copy(buf[4:], p.raw)
	enc := strings.ToLower(encoding.EncodeToString(buf))
	var b strings.Builder
	b.Grow(len(enc) + len(enc)/5)
	for i := 0; i < len(enc); i += 5 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(enc[i:min(i+5, len(enc))])
	}
	return b.String()
}

// Parse validates an IC textual principal. Upper-case input is accepted; the
// dash grouping must be canonical. Errors quote the text and match one of
// the Err* sentinels.
func Parse(text string) (Principal, error) {
	p, err := parse(text)
	if err != nil {
		return Principal{}, fmt.Errorf("invalid principal %q: %w", text, err)
	}
	return p, nil
}

func parse(text string) (Principal, error) {
	lower := asciiLower(text)
	compact := strings.ReplaceAll(lower, "-", "")
	if compact == "" {
		return Principal{}, ErrEmpty
	}
	for i := 0; i < len(compact); i++ {
		c := compact[i]
		if !(c >= 'a' && c <= 'z') && !(c >= '2' && c <= '7') {
			return Principal{}, ErrBase32
		}
	}
	buf, err := encoding.DecodeString(strings.ToUpper(compact))
	if err != nil {
		return Principal{}, ErrBase32
	}
	if len(buf) < 4 {
		return Principal{}, ErrTooShort
	}
	if len(buf)-4 > MaxLength {
		return Principal{}, ErrTooLong
	}
	p := Principal{raw: string(buf[4:])}
	if binary.BigEndian.Uint32(buf) != crc32.ChecksumIEEE(buf[4:]) {
		return Principal{}, ErrChecksum
	}
	if p.String() != lower {
		return Principal{}, ErrNotCanonical
	}
	return p, nil
}

// Valid reports whether text is a valid textual principal.
func Valid(text string) bool {
	_, err := parse(text)
	return err == nil
}

// MarshalText renders the canonical text.
func (p Principal) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText parses a textual principal.
func (p *Principal) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// asciiLower lower-cases ASCII letters only, as Rust's to_ascii_lowercase
// does (strings.ToLower would fold, for example, the Kelvin sign to 'k').
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
