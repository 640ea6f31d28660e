package restore

import (
	"fmt"
	"strings"
)

// DebugStrings renders a Vec<String> as Rust's {:?} does: ["a", "b"] with
// Rust string escaping, the form 0.35.1's error texts give reason lists in
// (e.g. `reasons=["missing-artifact-validation"]`).
func DebugStrings(v []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range v {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(rustDebugString(s))
	}
	b.WriteByte(']')
	return b.String()
}

func rustDebugString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case 0:
			b.WriteString(`\0`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u{%x}`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
