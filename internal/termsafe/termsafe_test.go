package termsafe

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEscapeNeutralisesControlAndAnsiBytes(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, ünïcödé\n\tok":     "plain text, ünïcödé\n\tok",
		"red \x1b[31mALERT\x1b[0m":      `red \u001b[31mALERT\u001b[0m`,
		"bell\a cr\r del\x7f":           `bell\u0007 cr\u000d del\u007f`,
		"c1 csi \u009b31m":              `c1 csi \u009b31m`,
		"raw c1 byte \x9b2J":            `raw c1 byte \x9b2J`,
		"osc title \x1b]0;pwned\x07end": `osc title \u001b]0;pwned\u0007end`,
	} {
		assert.Equal(t, want, Escape(in), "%q", in)
	}
}

// A JSON document passed through keeps its meaning: the escapes are JSON's.
func TestWriterKeepsJSONMeaning(t *testing.T) {
	doc := map[string]string{"id": "a\u007fb\u0085c\x1b"}
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	var out bytes.Buffer
	w := NewWriter(&out)
	// Split inside the two-byte C1 sequence.
	for _, b := range raw {
		_, err := w.Write([]byte{b})
		require.NoError(t, err)
	}
	require.NoError(t, w.Flush())
	assert.NotContains(t, out.String(), "\x7f")
	assert.NotContains(t, out.String(), "\u0085")
	var back map[string]string
	require.NoError(t, json.Unmarshal(out.Bytes(), &back))
	assert.Equal(t, doc, back)
}
