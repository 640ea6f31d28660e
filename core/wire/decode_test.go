package wire_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/wire"
)

// state is a PascalCase enum like the journal's operation states.
type state string

var errUnknownVariant = errors.New("unknown variant")

func (s *state) UnmarshalText(b []byte) error {
	switch string(b) {
	case "Ready", "Completed":
		*s = state(b)
		return nil
	}
	return fmt.Errorf("%w %q, expected one of `Ready`, `Completed`", errUnknownVariant, string(b))
}

func (s state) MarshalText() ([]byte, error) { return []byte(s), nil }

type op struct {
	Sequence uint64 `json:"sequence"`
	State    state  `json:"state"`
}

type target struct {
	CanisterID string  `json:"canister_id"`
	Role       *string `json:"role"`
	Depth      uint32  `json:"depth"`
}

type doc struct {
	PlanID     string          `json:"plan_id"`
	Version    uint16          `json:"version"`
	Targets    []target        `json:"targets"`
	Operations []op            `json:"operations"`
	Note       *string         `json:"note"`
	Tags       []string        `json:"tags" wire:"default"`
	Extra      json.RawMessage `json:"extra" wire:"default"`
	Labels     map[string]int  `json:"labels" wire:"default"`
	Any        any             `json:"any"`
}

const goodDoc = `{
  "plan_id": "plan-1",
  "version": 1,
  "targets": [{"canister_id": "aaaaa-aa", "role": null, "depth": 0}],
  "operations": [{"sequence": 0, "state": "Ready"}],
  "note": "n",
  "extra": {"x": [1, 2]},
  "labels": {"b": 2, "a": 1},
  "ignored_unknown": {"deep": [null]}
}`

func TestUnmarshalAcceptsValidDocument(t *testing.T) {
	var d doc
	require.NoError(t, wire.Unmarshal([]byte(goodDoc), &d))
	assert.Equal(t, "plan-1", d.PlanID)
	assert.Equal(t, uint16(1), d.Version)
	require.Len(t, d.Targets, 1)
	assert.Nil(t, d.Targets[0].Role)
	assert.Equal(t, state("Ready"), d.Operations[0].State)
	require.NotNil(t, d.Note)
	assert.Equal(t, "n", *d.Note)
	assert.Nil(t, d.Tags, "missing default field takes its zero value")
	assert.JSONEq(t, `{"x":[1,2]}`, string(d.Extra))
	assert.Equal(t, map[string]int{"a": 1, "b": 2}, d.Labels)
	assert.Nil(t, d.Any, "missing any field is null like serde_json::Value")
}

func TestUnmarshalRejects(t *testing.T) {
	cases := []struct {
		name string
		in   string
		kind error
		msg  string
	}{
		{"missing required", `{"version":1,"targets":[],"operations":[]}`, wire.ErrMissingField, `missing field "plan_id" at $`},
		{"missing nested", `{"plan_id":"p","version":1,"targets":[{"canister_id":"x","depth":1},{"depth":1}],"operations":[]}`, wire.ErrMissingField, `missing field "canister_id" at $.targets[1]`},
		{"case sensitive key", `{"Plan_id":"p","version":1,"targets":[],"operations":[]}`, wire.ErrMissingField, `missing field "plan_id" at $`},
		{"duplicate key", `{"plan_id":"p","plan_id":"q","version":1,"targets":[],"operations":[]}`, wire.ErrDuplicateField, `duplicate field "plan_id" at $`},
		{"duplicate map key", `{"plan_id":"p","version":1,"targets":[],"operations":[],"labels":{"a":1,"a":2}}`, wire.ErrDuplicateField, `duplicate field "a" at $.labels`},
		{"null required string", `{"plan_id":null,"version":1,"targets":[],"operations":[]}`, wire.ErrInvalidType, `$.plan_id: invalid type: null, expected a string`},
		{"null required slice", `{"plan_id":"p","version":1,"targets":null,"operations":[]}`, wire.ErrInvalidType, `$.targets: invalid type: null, expected a sequence`},
		{"null default field", `{"plan_id":"p","version":1,"targets":[],"operations":[],"tags":null}`, wire.ErrInvalidType, `$.tags: invalid type: null`},
		{"negative unsigned", `{"plan_id":"p","version":-1,"targets":[],"operations":[]}`, wire.ErrInvalidValue, "$.version: invalid value: integer `-1`, expected u16"},
		{"u16 overflow", `{"plan_id":"p","version":65536,"targets":[],"operations":[]}`, wire.ErrInvalidValue, "$.version: invalid value: integer `65536`, expected u16"},
		{"fraction", `{"plan_id":"p","version":1.5,"targets":[],"operations":[]}`, wire.ErrInvalidType, "$.version: invalid type: floating point `1.5`, expected u16"},
		{"exponent", `{"plan_id":"p","version":1e0,"targets":[],"operations":[]}`, wire.ErrInvalidType, "expected u16"},
		{"u32 overflow nested", `{"plan_id":"p","version":1,"targets":[{"canister_id":"x","role":null,"depth":4294967296}],"operations":[]}`, wire.ErrInvalidValue, "$.targets[0].depth: invalid value: integer `4294967296`, expected u32"},
		{"u64 overflow", `{"plan_id":"p","version":1,"targets":[],"operations":[{"sequence":18446744073709551616,"state":"Ready"}]}`, wire.ErrInvalidValue, "$.operations[0].sequence: invalid value"},
		{"string for int", `{"plan_id":"p","version":"1","targets":[],"operations":[]}`, wire.ErrInvalidType, `$.version: invalid type: string "1", expected u16`},
		{"int for string", `{"plan_id":5,"version":1,"targets":[],"operations":[]}`, wire.ErrInvalidType, "$.plan_id: invalid type: integer `5`, expected a string"},
		{"unknown variant", `{"plan_id":"p","version":1,"targets":[],"operations":[{"sequence":0,"state":"Ready"},{"sequence":1,"state":"Bogus"}]}`, errUnknownVariant, `$.operations[1].state: unknown variant "Bogus"`},
		{"variant case", `{"plan_id":"p","version":1,"targets":[],"operations":[{"sequence":0,"state":"ready"}]}`, errUnknownVariant, `unknown variant "ready"`},
		{"enum not string", `{"plan_id":"p","version":1,"targets":[],"operations":[{"sequence":0,"state":3}]}`, wire.ErrInvalidType, "$.operations[0].state: invalid type: integer `3`, expected a string"},
		{"object for slice", `{"plan_id":"p","version":1,"targets":{},"operations":[]}`, wire.ErrInvalidType, "$.targets: invalid type: map, expected a sequence"},
		{"array for struct", `[]`, wire.ErrInvalidType, "$: invalid type: sequence, expected struct doc"},
		{"trailing chars", goodDoc + ` x`, wire.ErrSyntax, "trailing characters"},
		{"trailing comma", `{"a":1,}`, wire.ErrSyntax, "trailing comma"},
		{"leading zero", `{"version":01}`, wire.ErrSyntax, "invalid number"},
		{"plus sign", `{"version":+1}`, wire.ErrSyntax, "expected value"},
		{"single quotes", `{'a':1}`, wire.ErrSyntax, "key must be a string"},
		{"raw control char", "{\"plan_id\":\"a\tb\"}", wire.ErrSyntax, "control character"},
		{"bad escape", `{"plan_id":"\x"}`, wire.ErrSyntax, "invalid escape"},
		{"lone surrogate", `{"plan_id":"\ud800"}`, wire.ErrSyntax, "surrogate"},
		{"invalid utf8", "{\"plan_id\":\"\xff\"}", wire.ErrSyntax, "invalid unicode"},
		{"empty input", ``, wire.ErrSyntax, "EOF"},
		{"truncated", `{"plan_id":"p"`, wire.ErrSyntax, "EOF while parsing an object"},
		{"NaN", `{"version":NaN}`, wire.ErrSyntax, "expected value"},
		{"raw message bad", `{"plan_id":"p","version":1,"targets":[],"operations":[],"extra":}`, wire.ErrSyntax, "expected value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d doc
			err := wire.Unmarshal([]byte(c.in), &d)
			require.Error(t, err)
			assert.ErrorIs(t, err, c.kind)
			assert.Contains(t, err.Error(), c.msg)
			var we *wire.Error
			require.ErrorAs(t, err, &we)
		})
	}
}

func TestUnmarshalDepthLimit(t *testing.T) {
	deep := make([]byte, 0, 400)
	for i := 0; i < 200; i++ {
		deep = append(deep, '[')
	}
	var v any
	err := wire.Unmarshal(deep, &v)
	require.ErrorIs(t, err, wire.ErrSyntax)
	assert.Contains(t, err.Error(), "recursion limit")
}

func TestUnmarshalIntegerWidths(t *testing.T) {
	var v struct {
		I8  int8   `json:"i8"`
		U8  uint8  `json:"u8"`
		I64 int64  `json:"i64"`
		U64 uint64 `json:"u64"`
		F   float64
	}
	require.NoError(t, wire.Unmarshal([]byte(`{"i8":-128,"u8":255,"i64":-9223372036854775808,"u64":18446744073709551615,"F":1.5e3}`), &v))
	assert.Equal(t, int8(-128), v.I8)
	assert.Equal(t, uint8(255), v.U8)
	assert.Equal(t, int64(-9223372036854775808), v.I64)
	assert.Equal(t, uint64(18446744073709551615), v.U64)
	assert.Equal(t, 1500.0, v.F)
	err := wire.Unmarshal([]byte(`{"i8":-129,"u8":0,"i64":0,"u64":0,"F":0}`), &v)
	require.ErrorIs(t, err, wire.ErrInvalidValue)
	assert.Contains(t, err.Error(), "$.i8: invalid value: integer `-129`, expected i8")
}

func TestUnmarshalPointerAndNode(t *testing.T) {
	var v struct {
		P  *uint32    `json:"p"`
		PS *[]string  `json:"ps"`
		N  wire.Node  `json:"n"`
		NP *wire.Node `json:"np"`
	}
	require.NoError(t, wire.Unmarshal([]byte(`{"p":7,"ps":null,"n":{"b":1,"a":2}}`), &v))
	require.NotNil(t, v.P)
	assert.Equal(t, uint32(7), *v.P)
	assert.Nil(t, v.PS)
	assert.Nil(t, v.NP)
	require.Len(t, v.N.Members, 2)
	assert.Equal(t, "b", v.N.Members[0].Key, "node keeps document order")
	assert.Equal(t, "2", v.N.Get("a").Text)
}

func TestUnmarshalNeedsPointer(t *testing.T) {
	var d doc
	require.ErrorIs(t, wire.Unmarshal([]byte(`{}`), d), wire.ErrUnsupportedType)
	require.ErrorIs(t, wire.Unmarshal([]byte(`{}`), nil), wire.ErrUnsupportedType)
}

func TestUnmarshalMapKeys(t *testing.T) {
	var m map[uint32]string
	require.NoError(t, wire.Unmarshal([]byte(`{"2":"b","10":"a"}`), &m))
	assert.Equal(t, map[uint32]string{2: "b", 10: "a"}, m)
	require.ErrorIs(t, wire.Unmarshal([]byte(`{"-1":"x"}`), &m), wire.ErrInvalidValue)
	out, err := wire.Marshal(m)
	require.NoError(t, err)
	assert.Equal(t, `{"2":"b","10":"a"}`, string(out), "integer keys sort numerically like BTreeMap")
}

func TestUnmarshalFixedArrayLength(t *testing.T) {
	var a [2]uint8
	require.NoError(t, wire.Unmarshal([]byte(`[1,2]`), &a))
	assert.Equal(t, [2]uint8{1, 2}, a)
	require.ErrorIs(t, wire.Unmarshal([]byte(`[1]`), &a), wire.ErrInvalidValue)
}

// tagged decodes itself with wire, like an internally tagged enum.
type tagged struct{ Kind string }

func (t *tagged) UnmarshalJSON(b []byte) error {
	var head struct {
		Kind string `json:"kind"`
	}
	if err := wire.Unmarshal(b, &head); err != nil {
		return fmt.Errorf("tagged source: %w", err)
	}
	t.Kind = head.Kind
	return nil
}

func TestUnmarshalerErrorsGetRebasedPaths(t *testing.T) {
	var v struct {
		Items []struct {
			Src tagged `json:"src"`
		} `json:"items"`
	}
	require.NoError(t, wire.Unmarshal([]byte(`{"items":[{"src":{"kind":"a"}}]}`), &v))
	assert.Equal(t, "a", v.Items[0].Src.Kind)
	err := wire.Unmarshal([]byte(`{"items":[{"src":{"kind":"a"}},{"src":{}}]}`), &v)
	require.ErrorIs(t, err, wire.ErrMissingField)
	assert.Equal(t, `$.items[1].src: tagged source: missing field "kind" at $`, err.Error())

	var w struct {
		Src plainTagged `json:"src"`
	}
	err = wire.Unmarshal([]byte(`{"src":{"kind":5}}`), &w)
	require.ErrorIs(t, err, wire.ErrInvalidType)
	assert.Equal(t, "$.src.kind: invalid type: integer `5`, expected a string", err.Error())
}

// plainTagged returns wire's error unwrapped, so its path is rebased.
type plainTagged struct{ Kind string }

func (t *plainTagged) UnmarshalJSON(b []byte) error {
	var head struct {
		Kind string `json:"kind"`
	}
	return wire.Unmarshal(b, &head)
}
