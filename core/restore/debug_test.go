package restore

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestDebugStrings: Rust's {:?} of a Vec<String>, as 0.35.1's error texts
// print reason lists.
func TestDebugStrings(t *testing.T) {
	assert.Equal(t, `[]`, DebugStrings(nil))
	assert.Equal(t, `["missing-artifact-validation"]`, DebugStrings([]string{"missing-artifact-validation"}))
	assert.Equal(t, `["a\"b", "c\\d", "e\nf\tg\r", "\0\u{1b}\u{7f}", "é"]`,
		DebugStrings([]string{"a\"b", `c\d`, "e\nf\tg\r", "\x00\x1b\x7f", "é"}))
}
