package wire_test

import (
	"testing"

	"github.com/canic-backup/canic-backup/core/wire"
)

// FuzzUnmarshal checks that decoding never panics and that any document the
// parser accepts re-encodes to something that parses to the same bytes.
func FuzzUnmarshal(f *testing.F) {
	for _, data := range goldenJSON(f) {
		f.Add(data)
	}
	f.Add([]byte(goodDoc))
	f.Add([]byte(`{"a":"\ud83d\ude00","b":[1e5,-0.0,{}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d doc
		_ = wire.Unmarshal(data, &d)
		var g any
		_ = wire.Unmarshal(data, &g)
		var n wire.Node
		if err := wire.Unmarshal(data, &n); err != nil {
			return
		}
		out, err := wire.MarshalPretty(&n)
		if err != nil {
			t.Fatalf("re-encode of accepted input failed: %v", err)
		}
		var n2 wire.Node
		if err := wire.Unmarshal(out, &n2); err != nil {
			t.Fatalf("re-encoded output does not parse: %v\n%s", err, out)
		}
		out2, err := wire.MarshalPretty(&n2)
		if err != nil || string(out2) != string(out) {
			t.Fatalf("printer not idempotent:\n%s\n%s", out, out2)
		}
	})
}
