package config

import (
	"strings"

	"github.com/BurntSushi/toml"
)

// keyLines maps every key and table header of a TOML document (in
// toml.Key.String() form) to the 1-based line it is first defined on.
// BurntSushi/toml keeps key positions private, so the lines are found by a
// small scan of the text that understands table headers, dotted and quoted
// keys, comments and multi-line strings; keys inside inline tables map to
// the line of the inline table's key.
func keyLines(text string) map[string]int {
	out := map[string]int{}
	var table []string
	inMulti := "" // the delimiter of the multi-line string being skipped
	for i, raw := range strings.Split(text, "\n") {
		n := i + 1
		line := raw
		if inMulti != "" {
			idx := strings.Index(line, inMulti)
			if idx < 0 {
				continue
			}
			inMulti = ""
			line = line[idx+3:]
			continue
		}
		line = strings.TrimSpace(stripComment(line))
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "[") {
			inner := strings.TrimPrefix(line, "[")
			inner = strings.TrimPrefix(inner, "[")
			end := strings.LastIndex(inner, "]")
			if end < 0 {
				continue
			}
			inner = strings.TrimSuffix(inner[:end], "]")
			table = splitKey(inner)
			record(out, table, n)
			continue
		}
		eq := topLevelIndex(line, '=')
		if eq < 0 {
			continue
		}
		key := append(append([]string{}, table...), splitKey(line[:eq])...)
		record(out, key, n)
		value := line[eq+1:]
		for _, delim := range []string{`"""`, `'''`} {
			if strings.Count(value, delim)%2 == 1 {
				inMulti = delim
			}
		}
	}
	return out
}

// record stores the line of key and of each of its prefixes not yet seen.
func record(out map[string]int, key []string, line int) {
	for i := 1; i <= len(key); i++ {
		k := toml.Key(key[:i]).String()
		if _, ok := out[k]; !ok {
			out[k] = line
		}
	}
}

// lineOf returns the line of key, or of its longest defined prefix, or 0.
func lineOf(lines map[string]int, key []string) int {
	for i := len(key); i > 0; i-- {
		if n, ok := lines[toml.Key(key[:i]).String()]; ok {
			return n
		}
	}
	return 0
}

// stripComment removes a # comment that is not inside a string.
func stripComment(s string) string {
	if i := topLevelIndex(s, '#'); i >= 0 {
		return s[:i]
	}
	return s
}

// topLevelIndex returns the index of the first c outside quotes, or -1.
func topLevelIndex(s string, c byte) int {
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == '\\' && quote == '"' {
				i++
			} else if ch == quote {
				quote = 0
			}
		case ch == '"' || ch == '\'':
			quote = ch
		case ch == c:
			return i
		}
	}
	return -1
}

// splitKey splits a dotted key (bare or quoted parts) into its parts.
func splitKey(s string) []string {
	var parts []string
	for {
		s = strings.TrimSpace(s)
		if s == "" {
			return parts
		}
		var part string
		switch s[0] {
		case '"', '\'':
			end := strings.IndexByte(s[1:], s[0])
			if end < 0 {
				return append(parts, s[1:])
			}
			part = s[1 : end+1]
			if s[0] == '"' {
				part = strings.ReplaceAll(part, `\"`, `"`)
			}
			s = s[end+2:]
		default:
			end := strings.IndexByte(s, '.')
			if end < 0 {
				end = len(s)
			}
			part = strings.TrimSpace(s[:end])
			s = s[end:]
		}
		parts = append(parts, part)
		s = strings.TrimSpace(s)
		if strings.HasPrefix(s, ".") {
			s = s[1:]
		}
	}
}
