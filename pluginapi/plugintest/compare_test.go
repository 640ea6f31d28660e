package plugintest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

const taken = `{
  "source": {"taken_from_canister": null},
  "taken_at_timestamp": 1700000000000000000,
  "wasm_module_size": 3,
  "globals": [{"i64": 7}],
  "certified_data": [1, 2]
}`

func files(meta string) map[string]string {
	return map[string]string{"metadata.json": meta, "wasm_module.bin": "abc", "wasm_memory.bin": "mem", "stable_memory.bin": ""}
}

// TestSnapshotDiffAcceptsTheICUploadFields: an uploaded snapshot's
// metadata.json may change source to metadata_upload and the timestamp,
// and its formatting, nothing else.
func TestSnapshotDiffAcceptsTheICUploadFields(t *testing.T) {
	uploaded := `{"source":{"metadata_upload":null},"taken_at_timestamp":1800000000000000000,` +
		`"wasm_module_size":3,"globals":[{"i64":7}],"certified_data":[1,2]}`
	assert.Empty(t, snapshotDiff(files(taken), files(uploaded)))
	assert.Empty(t, snapshotDiff(files(taken), files(taken)))
}

// TestSnapshotDiffRejects lists what still fails the check.
func TestSnapshotDiffRejects(t *testing.T) {
	cases := map[string]struct {
		got  map[string]string
		want string
	}{
		"data": {map[string]string{"metadata.json": taken, "wasm_module.bin": "abd", "wasm_memory.bin": "mem", "stable_memory.bin": ""},
			"wasm_module.bin differs (3 bytes, want 3)"},
		"missing": {map[string]string{"metadata.json": taken, "wasm_module.bin": "abc", "wasm_memory.bin": "mem"},
			"stable_memory.bin is missing"},
		"extra": {map[string]string{"metadata.json": taken, "wasm_module.bin": "abc", "wasm_memory.bin": "mem", "stable_memory.bin": "", ".progress.json": "{}"},
			".progress.json was not in the original"},
		"field": {files(`{"source":{"metadata_upload":null},"taken_at_timestamp":1,"wasm_module_size":3,"globals":[{"i64":8}],"certified_data":[1,2]}`),
			`metadata.json field "globals" is [{"i64":8}], want [{"i64":7}]`},
		"source": {files(`{"source":{"other":null},"taken_at_timestamp":1,"wasm_module_size":3,"globals":[{"i64":7}],"certified_data":[1,2]}`),
			`metadata.json "source" is {"other":null}, want the original's or {"metadata_upload":null}`},
		"timestamp gone": {files(`{"source":{"metadata_upload":null},"wasm_module_size":3,"globals":[{"i64":7}],"certified_data":[1,2]}`),
			`metadata.json field "taken_at_timestamp" present in original true, in upload false`},
		"added field": {files(`{"source":{"metadata_upload":null},"taken_at_timestamp":1,"wasm_module_size":3,"globals":[{"i64":7}],"certified_data":[1,2],"x":1}`),
			`metadata.json field "x" (1) was not in the original`},
		"not json": {files(`[`), "metadata.json: not a JSON object: unexpected EOF"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, []string{c.want}, snapshotDiff(files(taken), c.got))
		})
	}
}

// TestUnknownSnapshotIDIsWellFormed: the id the suite uses for a missing
// snapshot has the IC's layout, a local id then the canister's bytes.
func TestUnknownSnapshotIDIsWellFormed(t *testing.T) {
	assert.Equal(t, "7ffffffffffffffe"+"00000000000000010101", unknownSnapshotID("rrkah-fqaaa-aaaaa-aaaaq-cai"))
	assert.Equal(t, "7ffffffffffffffe"+"00000000000000000101", unknownSnapshotID("rwlgt-iiaaa-aaaaa-aaaaa-cai"))
	assert.Equal(t, "7ffffffffffffffe00", unknownSnapshotID("not a principal!"))
}
