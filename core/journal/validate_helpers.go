package journal

import "strings"

// isBlank mirrors Rust's value.trim().is_empty().
func isBlank(s string) bool { return strings.TrimSpace(s) == "" }
