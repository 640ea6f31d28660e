package wire

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth is serde_json's default recursion limit.
const maxDepth = 128

type parser struct {
	data  []byte
	pos   int
	depth int
}

func parseDocument(data []byte) (*Node, error) {
	p := &parser{data: data}
	p.skipSpace()
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.data) {
		return nil, p.errorf("trailing characters")
	}
	return n, nil
}

// errorf builds a syntax error at the current position, with the 1-based
// line and column serde_json reports.
func (p *parser) errorf(format string, args ...any) error {
	line, col := 1, 0
	end := p.pos
	if end > len(p.data) {
		end = len(p.data)
	}
	for _, b := range p.data[:end] {
		if b == '\n' {
			line++
			col = 0
		} else {
			col++
		}
	}
	if p.pos < len(p.data) {
		col++
	}
	return &Error{Path: "", Kind: ErrSyntax, Detail: fmt.Sprintf(format, args...) + fmt.Sprintf(" at line %d column %d", line, col)}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value() (*Node, error) {
	if p.pos >= len(p.data) {
		return nil, p.errorf("EOF while parsing a value")
	}
	start := p.pos
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &Node{Kind: KindString, Text: s, start: start, end: p.pos}, nil
	case c == 't':
		if err := p.literal("true"); err != nil {
			return nil, err
		}
		return &Node{Kind: KindBool, Bool: true, start: start, end: p.pos}, nil
	case c == 'f':
		if err := p.literal("false"); err != nil {
			return nil, err
		}
		return &Node{Kind: KindBool, start: start, end: p.pos}, nil
	case c == 'n':
		if err := p.literal("null"); err != nil {
			return nil, err
		}
		return &Node{Kind: KindNull, start: start, end: p.pos}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		if err := p.number(); err != nil {
			return nil, err
		}
		return &Node{Kind: KindNumber, Text: string(p.data[start:p.pos]), start: start, end: p.pos}, nil
	default:
		return nil, p.errorf("expected value")
	}
}

func (p *parser) literal(word string) error {
	for i := 0; i < len(word); i++ {
		if p.pos >= len(p.data) {
			return p.errorf("EOF while parsing a value")
		}
		if p.data[p.pos] != word[i] {
			return p.errorf("expected ident")
		}
		p.pos++
	}
	return nil
}

func (p *parser) digits() int {
	n := 0
	for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
		p.pos++
		n++
	}
	return n
}

// number scans a number with the JSON grammar (no leading zeros, no '+',
// digits required after '.' and the exponent).
func (p *parser) number() error {
	if p.data[p.pos] == '-' {
		p.pos++
	}
	if p.pos >= len(p.data) {
		return p.errorf("EOF while parsing a value")
	}
	switch c := p.data[p.pos]; {
	case c == '0':
		p.pos++
		if p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			return p.errorf("invalid number")
		}
	case c >= '1' && c <= '9':
		p.digits()
	default:
		return p.errorf("invalid number")
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if p.digits() == 0 {
			return p.errorf("invalid number")
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if p.digits() == 0 {
			return p.errorf("invalid number")
		}
	}
	return nil
}

// str scans a string literal starting at the opening quote and returns its
// decoded value.
func (p *parser) str() (string, error) {
	p.pos++ // opening quote
	var out []byte
	runStart := p.pos
	for {
		if p.pos >= len(p.data) {
			return "", p.errorf("EOF while parsing a string")
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			seg := p.data[runStart:p.pos]
			if !utf8.Valid(seg) {
				return "", p.errorf("invalid unicode code point")
			}
			p.pos++
			if out == nil {
				return string(seg), nil
			}
			return string(append(out, seg...)), nil
		case c == '\\':
			seg := p.data[runStart:p.pos]
			if !utf8.Valid(seg) {
				return "", p.errorf("invalid unicode code point")
			}
			out = append(out, seg...)
			p.pos++
			var err error
			out, err = p.escape(out)
			if err != nil {
				return "", err
			}
			runStart = p.pos
		case c < 0x20:
			return "", p.errorf("control character (\\u0000-\\u001F) found while parsing a string")
		default:
			p.pos++
		}
	}
}

func (p *parser) escape(out []byte) ([]byte, error) {
	if p.pos >= len(p.data) {
		return nil, p.errorf("EOF while parsing a string")
	}
	c := p.data[p.pos]
	p.pos++
	switch c {
	case '"', '\\', '/':
		return append(out, c), nil
	case 'b':
		return append(out, '\b'), nil
	case 'f':
		return append(out, '\f'), nil
	case 'n':
		return append(out, '\n'), nil
	case 'r':
		return append(out, '\r'), nil
	case 't':
		return append(out, '\t'), nil
	case 'u':
		r, err := p.hex4()
		if err != nil {
			return nil, err
		}
		switch {
		case utf16.IsSurrogate(r) && r < 0xDC00:
			if p.pos+1 >= len(p.data) || p.data[p.pos] != '\\' || p.data[p.pos+1] != 'u' {
				return nil, p.errorf("lone leading surrogate in hex escape")
			}
			p.pos += 2
			r2, err := p.hex4()
			if err != nil {
				return nil, err
			}
			if r2 < 0xDC00 || r2 > 0xDFFF {
				return nil, p.errorf("lone leading surrogate in hex escape")
			}
			r = utf16.DecodeRune(r, r2)
		case utf16.IsSurrogate(r):
			return nil, p.errorf("lone leading surrogate in hex escape")
		}
		return utf8.AppendRune(out, r), nil
	default:
		p.pos--
		return nil, p.errorf("invalid escape")
	}
}

func (p *parser) hex4() (rune, error) {
	if p.pos+4 > len(p.data) {
		p.pos = len(p.data)
		return 0, p.errorf("EOF while parsing a string")
	}
	v, err := strconv.ParseUint(string(p.data[p.pos:p.pos+4]), 16, 32)
	if err != nil {
		return 0, p.errorf("invalid escape")
	}
	p.pos += 4
	return rune(v), nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errorf("recursion limit exceeded")
	}
	return nil
}

func (p *parser) array() (*Node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &Node{Kind: KindArray, Items: []*Node{}, start: p.pos}
	p.pos++
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		n.end = p.pos
		return n, nil
	}
	for {
		p.skipSpace()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.Items = append(n.Items, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("EOF while parsing a list")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
			p.skipSpace()
			if p.pos < len(p.data) && p.data[p.pos] == ']' {
				return nil, p.errorf("trailing comma")
			}
		case ']':
			p.pos++
			n.end = p.pos
			return n, nil
		default:
			return nil, p.errorf("expected `,` or `]`")
		}
	}
}

func (p *parser) object() (*Node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &Node{Kind: KindObject, Members: []Member{}, start: p.pos}
	p.pos++
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		n.end = p.pos
		return n, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("EOF while parsing an object")
		}
		if p.data[p.pos] != '"' {
			return nil, p.errorf("key must be a string")
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("EOF while parsing an object")
		}
		if p.data[p.pos] != ':' {
			return nil, p.errorf("expected `:`")
		}
		p.pos++
		p.skipSpace()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.Members = append(n.Members, Member{Key: key, Value: v})
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("EOF while parsing an object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
			p.skipSpace()
			if p.pos < len(p.data) && p.data[p.pos] == '}' {
				return nil, p.errorf("trailing comma")
			}
		case '}':
			p.pos++
			n.end = p.pos
			return n, nil
		default:
			return nil, p.errorf("expected `,` or `}`")
		}
	}
}
