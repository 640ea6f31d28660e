package checksum

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Expected values follow Rust's String::from_utf8_lossy (maximal subparts).
func TestLossyUTF8MatchesRust(t *testing.T) {
	const rep = "\uFFFD"
	cases := map[string]string{
		"plain":               "plain",
		"caf\xc3\xa9":         "caf\u00e9",
		"a\xffb":              "a" + rep + "b",
		"\xe2\x82A":           rep + "A",       // truncated 3-byte sequence: one replacement
		"\xf0\x9f\x98":        rep,             // truncated 4-byte sequence
		"\xed\xa0\x80":        rep + rep + rep, // surrogate: ED then A0 is out of range
		"\xc0\xaf":            rep + rep,       // overlong lead byte
		"\xe0\x80\x80":        rep + rep + rep, // E0 needs A0..BF
		"\xef\xbf\xbd-intact": "\uFFFD-intact", // a real U+FFFD is kept
	}
	for in, want := range cases {
		assert.Equal(t, want, lossyUTF8(in), "%q", in)
	}
}
