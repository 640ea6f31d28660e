// Package wire encodes and decodes the JSON documents canic-backup persists,
// following the serde rules of canic-backup 0.35.1: strict on input
// (case-sensitive keys, duplicate keys rejected, required fields enforced,
// null only for optional fields, integer widths enforced, unknown fields
// ignored) and byte-exact on output (declaration field order, two-space
// indentation, no HTML escaping, U+2028/U+2029 raw).
//
// Struct fields use ordinary `json:"name"` tags (an untagged exported field
// uses its Go name; `json:"-"` skips it; embedded structs without a tag are
// flattened). A pointer or interface field is an Option<T>: it may be missing
// or null on input and is always written (as null when nil). A field tagged
// `wire:"default"` is serde's #[serde(default)]: it may be missing on input
// and takes its zero value (null is still rejected). Every other field is
// required and may not be null. Slices are written as [] when nil (a serde
// Vec is never null; use a pointer-to-slice for Option<Vec<T>>), maps as {}
// when nil with keys sorted as a BTreeMap. []byte is a sequence of numbers,
// as serde writes Vec<u8> (not base64). `json:",omitempty"` is honoured on
// output for the rare serialize-only report that needs it.
//
// Types implementing json.Unmarshaler/json.Marshaler (json.RawMessage
// included) or encoding.TextUnmarshaler/TextMarshaler (enums) are respected.
// A decoding error is an *Error carrying the JSON path of the offending
// value and one of the Err* sentinels for errors.Is.
package wire

// Unmarshal decodes one JSON document into v (a non-nil pointer) with serde's
// strictness. Errors are *Error values naming the JSON path, for example
// `missing field "plan_id" at $.targets[0]` or
// `$.operations[3].state: unknown variant "Bogus"`.
func Unmarshal(data []byte, v any) error {
	return unmarshal(data, v)
}

// MarshalPretty encodes v as serde_json's pretty printer does, without a
// trailing newline (the form of layout files and of --out files).
func MarshalPretty(v any) ([]byte, error) {
	return marshalValue(v, false)
}

// MarshalPrettyLine is MarshalPretty followed by exactly one "\n", the form
// of JSON the CLI prints to stdout.
func MarshalPrettyLine(v any) ([]byte, error) {
	b, err := marshalValue(v, false)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Marshal encodes v in serde_json::to_string's compact form (no whitespace),
// with the same rules as MarshalPretty.
func Marshal(v any) ([]byte, error) {
	return marshalValue(v, true)
}
