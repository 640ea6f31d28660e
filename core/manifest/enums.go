package manifest

import (
	"fmt"
	"strings"
)

// UnknownVariantError reports an enum wire value that is not one of the
// accepted spellings (serde's "unknown variant" error).
type UnknownVariantError struct {
	// Enum is the Go name of the enum type.
	Enum string
	// Value is the rejected text.
	Value string
	// Expected lists the accepted spellings.
	Expected []string
}

// Error renders serde's message: unknown variant `x`, expected `a` or `b`.
func (e *UnknownVariantError) Error() string {
	quoted := make([]string, len(e.Expected))
	for i, v := range e.Expected {
		quoted[i] = "`" + v + "`"
	}
	return fmt.Sprintf("unknown variant `%s`, expected %s", e.Value, strings.Join(quoted, " or "))
}

func parseVariant(enum string, text []byte, allowed ...string) (string, error) {
	s := string(text)
	for _, a := range allowed {
		if a == s {
			return s, nil
		}
	}
	return "", &UnknownVariantError{Enum: enum, Value: s, Expected: allowed}
}

// BackupUnitKind says whether a backup unit claims subtree topology.
type BackupUnitKind string

// Backup unit kinds (kebab-case on the wire).
const (
	UnitSingle  BackupUnitKind = "single"
	UnitSubtree BackupUnitKind = "subtree"
)

// MarshalText implements encoding.TextMarshaler.
func (k BackupUnitKind) MarshalText() ([]byte, error) {
	v, err := parseVariant("BackupUnitKind", []byte(k), string(UnitSingle), string(UnitSubtree))
	return []byte(v), err
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *BackupUnitKind) UnmarshalText(text []byte) error {
	v, err := parseVariant("BackupUnitKind", text, string(UnitSingle), string(UnitSubtree))
	*k = BackupUnitKind(v)
	return err
}

// IdentityMode says whether a restored member must keep its principal.
type IdentityMode string

// Identity modes (kebab-case on the wire).
const (
	IdentityFixed       IdentityMode = "fixed"
	IdentityRelocatable IdentityMode = "relocatable"
)

// MarshalText implements encoding.TextMarshaler.
func (m IdentityMode) MarshalText() ([]byte, error) {
	v, err := parseVariant("IdentityMode", []byte(m), string(IdentityFixed), string(IdentityRelocatable))
	return []byte(v), err
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *IdentityMode) UnmarshalText(text []byte) error {
	v, err := parseVariant("IdentityMode", text, string(IdentityFixed), string(IdentityRelocatable))
	*m = IdentityMode(v)
	return err
}
