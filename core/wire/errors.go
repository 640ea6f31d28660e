package wire

import (
	"errors"
	"strings"
)

// Sentinel error kinds; every decoding error matches exactly one of them
// with errors.Is.
var (
	// ErrSyntax: the input is not a well-formed JSON document.
	ErrSyntax = errors.New("syntax error")
	// ErrMissingField: a required (non-pointer, non-default) field is absent.
	ErrMissingField = errors.New("missing field")
	// ErrDuplicateField: a key occurs twice in one object.
	ErrDuplicateField = errors.New("duplicate field")
	// ErrInvalidType: a value has the wrong JSON type (including null for a
	// non-optional field).
	ErrInvalidType = errors.New("invalid type")
	// ErrInvalidValue: a value has the right JSON type but is not acceptable
	// (integer out of range, negative or fractional; wrong array length;
	// rejected by a TextUnmarshaler or json.Unmarshaler).
	ErrInvalidValue = errors.New("invalid value")
	// ErrUnsupportedType: the Go type cannot be encoded or decoded
	// (channels, functions, complex numbers, non-pointer targets).
	ErrUnsupportedType = errors.New("unsupported type")
)

// Error is a decoding or encoding error with the JSON path of the offending
// value ("$" is the document root, "$.targets[0].canister_id" a nested one).
// Callers prefix the file name: fmt.Errorf("%s: %w", file, err).
type Error struct {
	// Path is the JSON path of the value (or, for missing and duplicate
	// fields, of the object holding the field); empty for syntax errors.
	Path string
	// Kind is one of the Err* sentinels.
	Kind error
	// Field names the missing or duplicated field.
	Field string
	// Detail describes the problem.
	Detail string
	// Err is the underlying cause, such as an enum's own error.
	Err error
}

// Error renders `missing field "x" at $.a`, `duplicate field "x" at $.a`,
// `$.a.b: <detail>`, or for syntax errors `<detail>`.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case (e.Kind == ErrMissingField || e.Kind == ErrDuplicateField) && e.Err == nil:
		b.WriteString(e.Kind.Error())
		b.WriteString(` "`)
		b.WriteString(e.Field)
		b.WriteString(`" at `)
		b.WriteString(e.Path)
		return b.String()
	case e.Path != "":
		b.WriteString(e.Path)
		b.WriteString(": ")
	case e.Kind == ErrSyntax:
		b.WriteString("invalid JSON: ")
	}
	b.WriteString(e.Detail)
	if e.Err != nil {
		if e.Detail != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap exposes both the kind sentinel and the underlying cause to
// errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}
