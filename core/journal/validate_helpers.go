package journal

import "strings"

// isBlank mirrors Rust's value.trim().is_empty().
func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

// isHex64 reports whether s is exactly 64 ASCII hex digits (either case).
func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
