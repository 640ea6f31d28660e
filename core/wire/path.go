package wire

import (
	"strconv"
	"strings"
)

// path is a JSON path built as a linked list while descending, rendered
// only when an error needs it.
type path struct {
	parent *path
	key    string
	index  int
	isKey  bool
}

func (p *path) field(key string) *path { return &path{parent: p, key: key, isKey: true} }

func (p *path) elem(i int) *path { return &path{parent: p, index: i} }

// String renders the path as `$`, `$.a.b[3]` or `$["odd key"]`.
func (p *path) String() string {
	var segs []*path
	for q := p; q != nil; q = q.parent {
		segs = append(segs, q)
	}
	var b strings.Builder
	b.WriteByte('$')
	for i := len(segs) - 1; i >= 0; i-- {
		s := segs[i]
		switch {
		case !s.isKey:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		case isIdent(s.key):
			b.WriteByte('.')
			b.WriteString(s.key)
		default:
			b.WriteByte('[')
			b.WriteString(strconv.Quote(s.key))
			b.WriteByte(']')
		}
	}
	return b.String()
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}
