package wire

import (
	"fmt"
	"strings"
)

// UnknownVariantError reports an enum wire value that is not one of the
// accepted spellings, as serde's "unknown variant" error does. The enum
// packages (plan, manifest, journal) alias it, so errors.As finds it under
// any of those names.
type UnknownVariantError struct {
	// Enum is the Go name of the enum type.
	Enum string
	// Value is the rejected text.
	Value string
	// Expected lists the accepted spellings in declaration order.
	Expected []string
}

// Error renders serde's message: unknown variant `x`, expected `a`;
// expected `a` or `b`; or expected one of `a`, `b`, `c` (by the number of
// variants).
func (e *UnknownVariantError) Error() string {
	quoted := make([]string, len(e.Expected))
	for i, v := range e.Expected {
		quoted[i] = "`" + v + "`"
	}
	var expected string
	switch len(quoted) {
	case 0:
		return fmt.Sprintf("unknown variant `%s`, there are no variants", e.Value)
	case 1:
		expected = quoted[0]
	case 2:
		expected = quoted[0] + " or " + quoted[1]
	default:
		expected = "one of " + strings.Join(quoted, ", ")
	}
	return fmt.Sprintf("unknown variant `%s`, expected %s", e.Value, expected)
}

// Variant returns value when it is one of allowed (compared exactly, case
// included), else an *UnknownVariantError naming enum. Enum types call it
// from both MarshalText and UnmarshalText, so a value outside the enum is
// neither read nor written.
func Variant(enum, value string, allowed ...string) (string, error) {
	for _, a := range allowed {
		if a == value {
			return value, nil
		}
	}
	return "", &UnknownVariantError{Enum: enum, Value: value, Expected: append([]string(nil), allowed...)}
}

// VariantText is Variant for MarshalText: the value's bytes when it is one
// of allowed, else an *UnknownVariantError.
func VariantText(enum, value string, allowed ...string) ([]byte, error) {
	v, err := Variant(enum, value, allowed...)
	if err != nil {
		return nil, err
	}
	return []byte(v), nil
}
