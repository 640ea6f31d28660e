package manifest

import (
	"errors"
	"fmt"
)

// ErrInvalidManifest is matched (errors.Is) by every *ValidationError.
var ErrInvalidManifest = errors.New("invalid manifest")

// Code names a validation failure; the values are 0.35.1's
// ManifestValidationError variant names.
type Code string

// Validation failure codes.
const (
	CodeUnsupportedManifestVersion         Code = "UnsupportedManifestVersion"
	CodeEmptyField                         Code = "EmptyField"
	CodeEmptyCollection                    Code = "EmptyCollection"
	CodeInvalidPrincipal                   Code = "InvalidPrincipal"
	CodeInvalidHash                        Code = "InvalidHash"
	CodeUnsupportedHashAlgorithm           Code = "UnsupportedHashAlgorithm"
	CodeUnsupportedVerificationKind        Code = "UnsupportedVerificationKind"
	CodeTopologyHashMismatch               Code = "TopologyHashMismatch"
	CodeAcceptedTopologyHashMismatch       Code = "AcceptedTopologyHashMismatch"
	CodeDuplicateCanisterID                Code = "DuplicateCanisterId"
	CodeDuplicateBackupUnitID              Code = "DuplicateBackupUnitId"
	CodeDuplicateBackupUnitRole            Code = "DuplicateBackupUnitRole"
	CodeMissingMemberVerificationChecks    Code = "MissingMemberVerificationChecks"
	CodeUnknownBackupUnitRole              Code = "UnknownBackupUnitRole"
	CodeBackupUnitCoverageMissingRole      Code = "BackupUnitCoverageMissingRole"
	CodeUnknownVerificationRole            Code = "UnknownVerificationRole"
	CodeDuplicateMemberVerificationRole    Code = "DuplicateMemberVerificationRole"
	CodeDuplicateVerificationCheckRole     Code = "DuplicateVerificationCheckRole"
	CodeSubtreeBackupUnitNotConnected      Code = "SubtreeBackupUnitNotConnected"
	CodeSubtreeBackupUnitMissingDescendant Code = "SubtreeBackupUnitMissingDescendant"
)

// ValidationError is the first rule a manifest breaks. Error() returns
// 0.35.1's exact text; the fields carry the values for programs.
type ValidationError struct {
	// Code names the rule.
	Code Code
	// Field is the dotted field path for field-level failures
	// (e.g. "fleet.members[].source_snapshot.checksum").
	Field string
	// Value is the offending value (principal, algorithm, kind, id, role).
	Value string
	// UnitID names the backup unit for unit-level failures.
	UnitID string
	// Expected and Actual carry the two sides of a hash mismatch, or parent
	// (Expected) and descendant (Actual) for a missing descendant.
	Expected, Actual string
	// Kind is the verification check kind of a repeated check role.
	Kind string
	// Version is the unsupported manifest version.
	Version uint16
}

// Error returns 0.35.1's Display text for the failure.
func (e *ValidationError) Error() string {
	switch e.Code {
	case CodeUnsupportedManifestVersion:
		return fmt.Sprintf("unsupported manifest version %d", e.Version)
	case CodeEmptyField:
		return fmt.Sprintf("field %s must not be empty", e.Field)
	case CodeEmptyCollection:
		return fmt.Sprintf("collection %s must not be empty", e.Field)
	case CodeInvalidPrincipal:
		return fmt.Sprintf("field %s must be a valid principal: %s", e.Field, e.Value)
	case CodeInvalidHash:
		return fmt.Sprintf("field %s must be a non-empty sha256 hex string", e.Field)
	case CodeUnsupportedHashAlgorithm:
		return fmt.Sprintf("unsupported hash algorithm %s", e.Value)
	case CodeUnsupportedVerificationKind:
		return fmt.Sprintf("unsupported verification kind %s", e.Value)
	case CodeTopologyHashMismatch:
		return fmt.Sprintf("topology hash mismatch between discovery %s and pre-snapshot %s", e.Expected, e.Actual)
	case CodeAcceptedTopologyHashMismatch:
		return fmt.Sprintf("accepted topology hash %s does not match discovery hash %s", e.Actual, e.Expected)
	case CodeDuplicateCanisterID:
		return fmt.Sprintf("duplicate canister id %s", e.Value)
	case CodeDuplicateBackupUnitID:
		return fmt.Sprintf("duplicate backup unit id %s", e.UnitID)
	case CodeDuplicateBackupUnitRole:
		return fmt.Sprintf("backup unit %s repeats role %s", e.UnitID, e.Value)
	case CodeMissingMemberVerificationChecks:
		return fmt.Sprintf("fleet member %s has no concrete verification checks", e.Value)
	case CodeUnknownBackupUnitRole:
		return fmt.Sprintf("backup unit %s references unknown role %s", e.UnitID, e.Value)
	case CodeBackupUnitCoverageMissingRole:
		return fmt.Sprintf("fleet role %s is not covered by any backup unit", e.Value)
	case CodeUnknownVerificationRole:
		return fmt.Sprintf("verification plan references unknown role %s", e.Value)
	case CodeDuplicateMemberVerificationRole:
		return fmt.Sprintf("duplicate member verification role %s", e.Value)
	case CodeDuplicateVerificationCheckRole:
		return fmt.Sprintf("verification check %s repeats role %s", e.Kind, e.Value)
	case CodeSubtreeBackupUnitNotConnected:
		return fmt.Sprintf("subtree backup unit %s is not connected", e.UnitID)
	case CodeSubtreeBackupUnitMissingDescendant:
		return fmt.Sprintf("subtree backup unit %s includes parent %s but omits descendant %s", e.UnitID, e.Expected, e.Actual)
	}
	return fmt.Sprintf("invalid manifest (%s)", e.Code)
}

// Unwrap makes every ValidationError match ErrInvalidManifest.
func (e *ValidationError) Unwrap() error { return ErrInvalidManifest }

// CodeOf returns the Code of the first *ValidationError in err's chain, or ""
// when there is none.
func CodeOf(err error) Code {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Code
	}
	return ""
}
