package manifest

import (
	"errors"
	"testing"

	"github.com/canic-backup/canic-backup/internal/golden"
)

// FuzzDecodeValidate feeds arbitrary bytes through decoding and validation:
// neither may panic, validation failures are always *ValidationError, and a
// manifest that validates re-encodes to a document that decodes and
// validates to the same bytes.
func FuzzDecodeValidate(f *testing.F) {
	f.Add(golden.Read(f, "backup/fleet-backup-manifest.json"))
	f.Add(golden.Read(f, "backup/extra/snapshot-download.fleet-backup-manifest.json"))
	if data, err := validManifest().Encode(); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"manifest_version": 1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Error() == "" {
				t.Fatalf("validation error of unexpected type %T: %v", err, err)
			}
			return
		}
		_ = m.Summary()
		_ = m.RestoreReadiness()
		out, err := m.Encode()
		if err != nil {
			t.Fatalf("valid manifest does not encode: %v", err)
		}
		again, err := DecodeValid(out)
		if err != nil {
			t.Fatalf("re-encoded manifest does not decode: %v\n%s", err, out)
		}
		out2, err := again.Encode()
		if err != nil || string(out2) != string(out) {
			t.Fatalf("encoding is not stable: %v\n%s\n%s", err, out, out2)
		}
	})
}
