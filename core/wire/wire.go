// Package wire encodes and decodes the JSON documents canic-backup persists,
// following the serde rules of canic-backup 0.35.1: strict on input
// (case-sensitive keys, duplicate keys rejected, required fields enforced,
// null only for optional fields, unknown fields ignored) and byte-exact on
// output (declaration field order, two-space indentation, no HTML escaping).
//
// Struct fields use ordinary `json:"name"` tags. A pointer field is an
// Option<T>: it may be missing or null on input and is always written (as
// null when nil). A field tagged `wire:"default"` is serde's #[serde(default)]:
// it may be missing on input and takes its zero value.
package wire

import (
	"bytes"
	"encoding/json"
)

// Unmarshal decodes data into v with serde's strictness.
// TODO(wire): strict implementation; this placeholder uses encoding/json.
func Unmarshal(data []byte, v any) error {
	return json.Unmarshal(data, v)
}

// MarshalPretty encodes v as serde_json's pretty printer does, without a
// trailing newline (the form of layout files).
func MarshalPretty(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
