package registry

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	rootText   = "aaaaa-aa"
	appText    = "renrk-eyaaa-aaaaa-aaada-cai"
	workerText = "rno2w-sqaaa-aaaaa-aaacq-cai"
	hash       = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

const wrappedJSON = `{"Ok":[
 {"pid":"aaaaa-aa","role":"root","record":{"pid":"aaaaa-aa","role":"root","kind":"root","parent_pid":null,"module_hash":null}},
 {"pid":"renrk-eyaaa-aaaaa-aaada-cai","role":"app","kind":"singleton","record":{"pid":"renrk-eyaaa-aaaaa-aaada-cai","role":"app","parent_pid":["aaaaa-aa"],"module_hash":[1,171]}},
 {"pid":"rno2w-sqaaa-aaaaa-aaacq-cai","role":"worker","kind":"replica","record":{"pid":"rno2w-sqaaa-aaaaa-aaacq-cai","role":"worker","parent_pid":["renrk-eyaaa-aaaaa-aaada-cai"],"module_hash":"` + hash + `"}}
]}`

func wantWrapped() []Entry {
	return []Entry{
		{Pid: rootText, Role: strPtr("root"), Kind: strPtr("root")},
		{Pid: appText, Role: strPtr("app"), Kind: strPtr("singleton"), ParentPid: strPtr(rootText), ModuleHash: strPtr("01ab")},
		{Pid: workerText, Role: strPtr("worker"), Kind: strPtr("replica"), ParentPid: strPtr(appText), ModuleHash: strPtr(hash)},
	}
}

// registry_entries_parse_wrapped_cli_json (canic-host).
func TestRegistryEntriesParseWrappedCLIJSON(t *testing.T) {
	got, err := Parse([]byte(wrappedJSON))
	require.NoError(t, err)
	assert.Equal(t, wantWrapped(), got)
}

func TestParseBareArray(t *testing.T) {
	got, err := Parse([]byte(`[{"pid":"aaaaa-aa","role":"root"},{"pid":"renrk-eyaaa-aaaaa-aaada-cai","record":{"parent_pid":"aaaaa-aa","kind":"singleton"}}]`))
	require.NoError(t, err)
	assert.Equal(t, []Entry{
		{Pid: rootText, Role: strPtr("root")},
		{Pid: appText, Kind: strPtr("singleton"), ParentPid: strPtr(rootText)},
	}, got)
}

// The local replica re-rendering: no kind, parent null or text, bytes hash,
// created_at as a string.
func TestParseLocalReplicaRendering(t *testing.T) {
	got, err := Parse([]byte(`{"Ok":[{"pid":"aaaaa-aa","role":"root","record":{"pid":"aaaaa-aa","role":"root","parent_pid":null,"module_hash":[255,0],"created_at":"17"}}]}`))
	require.NoError(t, err)
	assert.Equal(t, []Entry{{Pid: rootText, Role: strPtr("root"), ModuleHash: strPtr("ff00")}}, got)
}

func TestParseElementKindNullHidesRecordKind(t *testing.T) {
	got, err := Parse([]byte(`[{"pid":"aaaaa-aa","kind":null,"record":{"kind":"root"}}]`))
	require.NoError(t, err)
	assert.Nil(t, got[0].Kind)
}

func TestParseRoleIgnoresNestedRecordRole(t *testing.T) {
	got, err := Parse([]byte(`[{"pid":"aaaaa-aa","record":{"role":"root"}}]`))
	require.NoError(t, err)
	assert.Nil(t, got[0].Role)
}

func TestParseCandidOptForms(t *testing.T) {
	got, err := Parse([]byte(`[{"pid":"aaaaa-aa","record":{"parent_pid":[],"module_hash":[]}},
		{"pid":"renrk-eyaaa-aaaaa-aaada-cai","record":{"parent_pid":["aaaaa-aa"],"module_hash":[[1,2]]}},
		{"pid":"rno2w-sqaaa-aaaaa-aaacq-cai","record":{"module_hash":["abcd"]}}]`))
	require.NoError(t, err)
	assert.Nil(t, got[0].ParentPid)
	assert.Nil(t, got[0].ModuleHash, "[] is Candid opt none, not an empty hash (0.35.1 gave \"\")")
	assert.Equal(t, "0102", *got[1].ModuleHash)
	assert.Equal(t, "abcd", *got[2].ModuleHash)
}

func TestParseRejectsWrongShape(t *testing.T) {
	for _, in := range []string{`{}`, `{"Ok":{}}`, `"x"`, `42`, `null`, `{"ok":[]}`} {
		_, err := Parse([]byte(in))
		require.ErrorIs(t, err, ErrInvalidShape, in)
		assert.Contains(t, err.Error(), `registry JSON must be an array or {"Ok": [...]}`)
	}
	_, err := Parse([]byte(`{"Err":{"code":"NotFound","message":"nope"}}`))
	require.ErrorIs(t, err, ErrInvalidShape)
	assert.Contains(t, err.Error(), "nope")
}

func TestParseRejectsInvalidJSON(t *testing.T) {
	for _, in := range []string{``, `[`, `[] []`, "[\"\xff\"]"} {
		_, err := Parse([]byte(in))
		require.ErrorIs(t, err, ErrSyntax, in)
	}
}

// 0.35.1 silently dropped these; the port names the element and field.
func TestParseRejectsMalformedEntries(t *testing.T) {
	cases := []struct{ in, field, msg string }{
		{`[{"role":"root"}]`, "pid", `registry entry [0]: field pid must be a string: null`},
		{`[{"pid":7}]`, "pid", `registry entry [0]: field pid must be a string: 7`},
		{`[1]`, "(element)", `registry entry [0]: field (element) must be an object: 1`},
		{`[{"pid":"aaaaa-aa","role":5}]`, "role", ""},
		{`[{"pid":"aaaaa-aa","record":{"parent_pid":5}}]`, "record.parent_pid", ""},
		{`[{"pid":"aaaaa-aa","record":{"module_hash":[1,256]}}]`, "record.module_hash", ""},
		{`[{"pid":"aaaaa-aa","record":{"module_hash":""}}]`, "record.module_hash", ""},
		{`[{"pid":"aaaaa-aa","record":{"module_hash":[[]]}}]`, "record.module_hash", ""},
		{`[{"pid":"aaaaa-aa","record":{"module_hash":[1.5]}}]`, "record.module_hash", ""},
		{`[{"pid":"aaaaa-aa","record":7}]`, "record", ""},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.in))
		var ee *EntryError
		require.True(t, errors.As(err, &ee), c.in)
		assert.Equal(t, c.field, ee.Field, c.in)
		if c.msg != "" {
			assert.EqualError(t, err, c.msg)
		}
	}
	_, err := Parse([]byte(`[{"pid":"aaaaa-aa"},{"pid":"renrk-eyaaa-aaaaa-aaada-cai","record":{"module_hash":{}}}]`))
	assert.EqualError(t, err, `registry entry [1] (renrk-eyaaa-aaaaa-aaada-cai): field record.module_hash must be null, a hash string, a non-empty byte array or a Candid opt of one: {}`)
}

func TestParseIgnoresUnknownFields(t *testing.T) {
	got, err := Parse([]byte(`[{"pid":"aaaaa-aa","extra":{"a":[1]},"record":{"created_at":1}}]`))
	require.NoError(t, err)
	assert.Equal(t, []Entry{{Pid: rootText}}, got)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(wrappedJSON))
	f.Add([]byte(`[{"pid":"aaaaa-aa","record":{"parent_pid":[],"module_hash":[[1]]}}]`))
	f.Add([]byte(`{"Err":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := Parse(data)
		if err != nil {
			require.Nil(t, entries)
			return
		}
		for _, e := range entries {
			if e.ModuleHash != nil {
				require.NotEmpty(t, *e.ModuleHash)
			}
		}
		_, _ = TargetsFromRegistry(entries, "aaaaa-aa", true)
		_ = Depths(entries)
	})
}
