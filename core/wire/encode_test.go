package wire_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/wire"
)

type inner struct {
	Z string `json:"z"`
	A string `json:"a"`
}

type outer struct {
	Name   string            `json:"name"`
	Opt    *string           `json:"opt"`
	List   []string          `json:"list"`
	OptL   *[]string         `json:"opt_list"`
	Map    map[string]uint16 `json:"map"`
	Empty  struct{}          `json:"empty"`
	Inner  inner             `json:"inner"`
	State  state             `json:"state"`
	Raw    json.RawMessage   `json:"raw"`
	Hidden string            `json:"-"`
	hidden string
}

func TestMarshalPrettyLayout(t *testing.T) {
	v := outer{Name: "n", Map: map[string]uint16{"b": 2, "a": 1}, Inner: inner{Z: "z", A: "a"}, State: "Ready", Raw: json.RawMessage(`{"k":[1,{}],"e":[]}`), Hidden: "x", hidden: "y"}
	out, err := wire.MarshalPretty(v)
	require.NoError(t, err)
	want := `{
  "name": "n",
  "opt": null,
  "list": [],
  "opt_list": null,
  "map": {
    "a": 1,
    "b": 2
  },
  "empty": {},
  "inner": {
    "z": "z",
    "a": "a"
  },
  "state": "Ready",
  "raw": {
    "k": [
      1,
      {}
    ],
    "e": []
  }
}`
	assert.Equal(t, want, string(out))

	line, err := wire.MarshalPrettyLine(v)
	require.NoError(t, err)
	assert.Equal(t, want+"\n", string(line))

	compact, err := wire.Marshal(inner{Z: "1", A: "2"})
	require.NoError(t, err)
	assert.Equal(t, `{"z":"1","a":"2"}`, string(compact))
}

func TestMarshalNilMapAndEmptySlices(t *testing.T) {
	var v struct {
		M  map[string]int `json:"m"`
		S  []int          `json:"s"`
		B  []byte         `json:"b"`
		PS *[]int         `json:"ps"`
		A  any            `json:"a"`
	}
	v.B = []byte{1, 2}
	out, err := wire.Marshal(v)
	require.NoError(t, err)
	assert.Equal(t, `{"m":{},"s":[],"b":[1,2],"ps":null,"a":null}`, string(out))
}

func TestMarshalStringEscapes(t *testing.T) {
	cases := map[string]string{
		"plain":              `"plain"`,
		`q"b\`:               `"q\"b\\"`,
		"\n\r\t\b\f":         `"\n\r\t\b\f"`,
		"\x00\x01\x1f":       `"\u0000\u0001\u001f"`,
		"<>&/":               `"<>&/"`,
		"\u2028\u2029\u007f": "\"\u2028\u2029\u007f\"",
		"é漢🙂":                `"é漢🙂"`,
		"bad\xffutf8":        "\"bad\uFFFDutf8\"",
	}
	for in, want := range cases {
		out, err := wire.Marshal(in)
		require.NoError(t, err)
		assert.Equal(t, want, string(out), "input %q", in)
		var back string
		if in != "bad\xffutf8" {
			require.NoError(t, wire.Unmarshal(out, &back))
			assert.Equal(t, in, back)
		}
	}
}

func TestMarshalFloatsLikeRyu(t *testing.T) {
	cases := map[float64]string{
		1:       "1.0",
		0:       "0.0",
		-2.5:    "-2.5",
		0.1:     "0.1",
		1e15:    "1000000000000000.0",
		1e16:    "1e16",
		1e17:    "1e17",
		1.5e-7:  "1.5e-7",
		0.00001: "0.00001",
		123.456: "123.456",
	}
	for in, want := range cases {
		out, err := wire.Marshal(in)
		require.NoError(t, err)
		assert.Equal(t, want, string(out), "input %v", in)
	}
}

func TestMarshalRejectsUnsupported(t *testing.T) {
	_, err := wire.Marshal(struct {
		C chan int `json:"c"`
	}{})
	require.ErrorIs(t, err, wire.ErrUnsupportedType)
	assert.Contains(t, err.Error(), "$.c")
}

func TestMarshalEmbeddedStructFlattens(t *testing.T) {
	type base struct {
		ID string `json:"id"`
	}
	var v struct {
		base
		Name string `json:"name"`
	}
	v.ID, v.Name = "i", "n"
	out, err := wire.Marshal(v)
	require.NoError(t, err)
	assert.Equal(t, `{"id":"i","name":"n"}`, string(out))
	var back struct {
		base
		Name string `json:"name"`
	}
	require.NoError(t, wire.Unmarshal(out, &back))
	assert.Equal(t, "i", back.ID)
}

func TestRoundTripStructPreservesBytes(t *testing.T) {
	var d doc
	require.NoError(t, wire.Unmarshal([]byte(goodDoc), &d))
	out, err := wire.MarshalPretty(d)
	require.NoError(t, err)
	var d2 doc
	require.NoError(t, wire.Unmarshal(out, &d2))
	out2, err := wire.MarshalPretty(d2)
	require.NoError(t, err)
	assert.Equal(t, string(out), string(out2))
	assert.Contains(t, string(out), "\"tags\": [],")
}
