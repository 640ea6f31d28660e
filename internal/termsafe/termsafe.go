// Package termsafe keeps bytes that came from documents (manifests,
// journals, plans, executor output) from acting on the terminal they are
// printed to: every C0 control character except newline and tab, DEL and
// every C1 control character (U+0080..U+009F, which some terminals obey as
// ESC-sequences) is written as the escape \u00XX. That form is also the JSON
// and TOML escape of the same character, so a JSON or TOML document passed
// through keeps its meaning (those encoders already escape C0 characters
// inside strings; only DEL and C1 characters change form).
package termsafe

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// unsafe reports whether r must be escaped.
func unsafe(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20, r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f:
		return true
	}
	return false
}

// Escape returns s with every unsafe character escaped as \u00XX. Invalid
// UTF-8 bytes are kept as they are (a terminal shows them as replacement
// characters; they cannot start a control sequence on their own except as
// 8-bit C1 bytes, which are escaped as \xXX).
func Escape(s string) string {
	if !needs(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			c := s[i]
			if c >= 0x80 && c <= 0x9f {
				fmt.Fprintf(&b, `\x%02x`, c)
			} else {
				b.WriteByte(c)
			}
		case unsafe(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func needs(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || c >= 0x80 {
			if c < 0x80 {
				return true
			}
			// Non-ASCII: decide rune by rune.
			for _, r := range s[i:] {
				if unsafe(r) || r == utf8.RuneError {
					return true
				}
			}
			return false
		}
	}
	return false
}

// Writer escapes everything written through it (Escape) before passing it
// on. A UTF-8 sequence split across writes is held until it is complete.
type Writer struct {
	w       io.Writer
	pending []byte
}

// NewWriter returns a Writer onto w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write escapes p and writes it; it reports len(p) on success.
func (t *Writer) Write(p []byte) (int, error) {
	buf := append(t.pending, p...)
	t.pending = nil
	// Hold back an incomplete trailing UTF-8 sequence.
	cut := len(buf)
	for k := 1; k <= utf8.UTFMax-1 && k <= len(buf); k++ {
		c := buf[len(buf)-k]
		if c < 0x80 {
			break
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(buf[len(buf)-k:]) {
				cut = len(buf) - k
			}
			break
		}
	}
	t.pending = append([]byte(nil), buf[cut:]...)
	if _, err := io.WriteString(t.w, Escape(string(buf[:cut]))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a held incomplete sequence as it is.
func (t *Writer) Flush() error {
	if len(t.pending) == 0 {
		return nil
	}
	_, err := io.WriteString(t.w, Escape(string(t.pending)))
	t.pending = nil
	return err
}
