package manifest

import (
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/wire"
)

// UnknownVariantError reports an enum wire value that is not one of the
// accepted spellings (serde's "unknown variant" error).
type UnknownVariantError = wire.UnknownVariantError

// BackupUnitKind says whether a backup unit claims subtree topology.
type BackupUnitKind string

// Backup unit kinds (kebab-case on the wire).
const (
	UnitSingle  BackupUnitKind = "single"
	UnitSubtree BackupUnitKind = "subtree"
)

// MarshalText implements encoding.TextMarshaler.
func (k BackupUnitKind) MarshalText() ([]byte, error) {
	return wire.VariantText("BackupUnitKind", string(k), string(UnitSingle), string(UnitSubtree))
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *BackupUnitKind) UnmarshalText(text []byte) error {
	v, err := wire.Variant("BackupUnitKind", string(text), string(UnitSingle), string(UnitSubtree))
	*k = BackupUnitKind(v)
	return err
}

// IdentityMode says whether a restored member must keep its principal. It
// is the plan's type: a manifest records the mode its plan declared, with
// the same wire spelling.
type IdentityMode = plan.IdentityMode

// Identity modes (kebab-case on the wire).
const (
	IdentityFixed       = plan.IdentityFixed
	IdentityRelocatable = plan.IdentityRelocatable
)
