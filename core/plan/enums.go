package plan

import (
	"strings"

	"github.com/canic-backup/canic-backup/core/wire"
)

// UnknownVariantError reports an enum wire value that is not one of the
// accepted spellings (serde's "unknown variant" error).
type UnknownVariantError = wire.UnknownVariantError

// BackupScopeKind says which part of a fleet a plan covers.
type BackupScopeKind string

// Backup scope kinds (kebab-case on the wire).
const (
	ScopeMember          BackupScopeKind = "member"
	ScopeSubtree         BackupScopeKind = "subtree"
	ScopeNonRootFleet    BackupScopeKind = "non-root-fleet"
	ScopeMaintenanceRoot BackupScopeKind = "maintenance-root"
)

var scopeKinds = []string{"member", "subtree", "non-root-fleet", "maintenance-root"}

// MarshalText implements encoding.TextMarshaler.
func (k BackupScopeKind) MarshalText() ([]byte, error) {
	return wire.VariantText("BackupScopeKind", string(k), scopeKinds...)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *BackupScopeKind) UnmarshalText(text []byte) error {
	s, err := wire.Variant("BackupScopeKind", string(text), scopeKinds...)
	*k = BackupScopeKind(s)
	return err
}

// AuthorityEvidence says how strongly an authority claim is backed.
type AuthorityEvidence string

// Authority evidence levels (kebab-case on the wire).
const (
	EvidenceProven   AuthorityEvidence = "proven"
	EvidenceDeclared AuthorityEvidence = "declared"
	EvidenceUnknown  AuthorityEvidence = "unknown"
)

var evidenceKinds = []string{"proven", "declared", "unknown"}

// MarshalText implements encoding.TextMarshaler.
func (e AuthorityEvidence) MarshalText() ([]byte, error) {
	return wire.VariantText("AuthorityEvidence", string(e), evidenceKinds...)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (e *AuthorityEvidence) UnmarshalText(text []byte) error {
	s, err := wire.Variant("AuthorityEvidence", string(text), evidenceKinds...)
	*e = AuthorityEvidence(s)
	return err
}

// SnapshotReadAuthoritySource names who may read snapshots of a target.
type SnapshotReadAuthoritySource string

// Snapshot-read authority sources (kebab-case on the wire).
const (
	ReadSourceUnknown              SnapshotReadAuthoritySource = "unknown"
	ReadSourceOperatorController   SnapshotReadAuthoritySource = "operator-controller"
	ReadSourceSnapshotVisibility   SnapshotReadAuthoritySource = "snapshot-visibility"
	ReadSourceRootConfiguredRead   SnapshotReadAuthoritySource = "root-configured-read"
	ReadSourceRootMediatedTransfer SnapshotReadAuthoritySource = "root-mediated-transfer"
)

var readSources = []string{"unknown", "operator-controller", "snapshot-visibility", "root-configured-read", "root-mediated-transfer"}

// MarshalText implements encoding.TextMarshaler.
func (s SnapshotReadAuthoritySource) MarshalText() ([]byte, error) {
	return wire.VariantText("SnapshotReadAuthoritySource", string(s), readSources...)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *SnapshotReadAuthoritySource) UnmarshalText(text []byte) error {
	v, err := wire.Variant("SnapshotReadAuthoritySource", string(text), readSources...)
	*s = SnapshotReadAuthoritySource(v)
	return err
}

// QuiescencePolicy says how consistent the fleet must be when snapshotted.
type QuiescencePolicy string

// Quiescence policies (kebab-case on the wire).
const (
	QuiescenceCrashConsistent QuiescencePolicy = "crash-consistent"
	QuiescenceRootCoordinated QuiescencePolicy = "root-coordinated"
	QuiescenceAppQuiesced     QuiescencePolicy = "app-quiesced"
)

var quiescencePolicies = []string{"crash-consistent", "root-coordinated", "app-quiesced"}

// MarshalText implements encoding.TextMarshaler.
func (q QuiescencePolicy) MarshalText() ([]byte, error) {
	return wire.VariantText("QuiescencePolicy", string(q), quiescencePolicies...)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (q *QuiescencePolicy) UnmarshalText(text []byte) error {
	v, err := wire.Variant("QuiescencePolicy", string(text), quiescencePolicies...)
	*q = QuiescencePolicy(v)
	return err
}

// BackupOperationKind is the kind of one plan phase.
type BackupOperationKind string

// Operation kinds (kebab-case on the wire), in the order phases use them.
const (
	OpValidateTopology              BackupOperationKind = "validate-topology"
	OpValidateControlAuthority      BackupOperationKind = "validate-control-authority"
	OpValidateSnapshotReadAuthority BackupOperationKind = "validate-snapshot-read-authority"
	OpValidateQuiescencePolicy      BackupOperationKind = "validate-quiescence-policy"
	OpStop                          BackupOperationKind = "stop"
	OpCreateSnapshot                BackupOperationKind = "create-snapshot"
	OpStart                         BackupOperationKind = "start"
	OpDownloadSnapshot              BackupOperationKind = "download-snapshot"
	OpVerifyArtifact                BackupOperationKind = "verify-artifact"
	OpFinalizeManifest              BackupOperationKind = "finalize-manifest"
)

var operationKinds = []string{
	"validate-topology", "validate-control-authority", "validate-snapshot-read-authority",
	"validate-quiescence-policy", "stop", "create-snapshot", "start", "download-snapshot",
	"verify-artifact", "finalize-manifest",
}

// MarshalText implements encoding.TextMarshaler.
func (k BackupOperationKind) MarshalText() ([]byte, error) {
	return wire.VariantText("BackupOperationKind", string(k), operationKinds...)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *BackupOperationKind) UnmarshalText(text []byte) error {
	v, err := wire.Variant("BackupOperationKind", string(text), operationKinds...)
	*k = BackupOperationKind(v)
	return err
}

// DebugName is the Rust Debug (PascalCase) name of the kind, e.g.
// "CreateSnapshot"; BackupRunResponse reports use it.
func (k BackupOperationKind) DebugName() string {
	var b strings.Builder
	for _, part := range strings.Split(string(k), "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]))
		b.WriteString(part[1:])
	}
	return b.String()
}

// IsPlanMutation reports whether the kind touches canisters or artifacts in
// the sense of plan validation §3.7 rule 9 (stop, create-snapshot, start,
// download-snapshot). verify-artifact and finalize-manifest are not.
func (k BackupOperationKind) IsPlanMutation() bool {
	switch k {
	case OpStop, OpCreateSnapshot, OpStart, OpDownloadSnapshot:
		return true
	}
	return false
}

// IdentityMode says whether a restored canister must keep its principal.
type IdentityMode string

// Identity modes (kebab-case on the wire).
const (
	IdentityFixed       IdentityMode = "fixed"
	IdentityRelocatable IdentityMode = "relocatable"
)

var identityModes = []string{"fixed", "relocatable"}

// MarshalText implements encoding.TextMarshaler.
func (m IdentityMode) MarshalText() ([]byte, error) {
	return wire.VariantText("IdentityMode", string(m), identityModes...)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *IdentityMode) UnmarshalText(text []byte) error {
	v, err := wire.Variant("IdentityMode", string(text), identityModes...)
	*m = IdentityMode(v)
	return err
}

// AuthorityProofSource names where a preflight receipt's proof came from.
type AuthorityProofSource string

// Authority proof sources (kebab-case on the wire).
const (
	ProofRootCoordination  AuthorityProofSource = "root-coordination"
	ProofManagementStatus  AuthorityProofSource = "management-status"
	ProofSnapshotReadCheck AuthorityProofSource = "snapshot-read-check"
	ProofDeclaration       AuthorityProofSource = "declaration"
	ProofUnknown           AuthorityProofSource = "unknown"
)

var proofSources = []string{"root-coordination", "management-status", "snapshot-read-check", "declaration", "unknown"}

// MarshalText implements encoding.TextMarshaler.
func (p AuthorityProofSource) MarshalText() ([]byte, error) {
	return wire.VariantText("AuthorityProofSource", string(p), proofSources...)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *AuthorityProofSource) UnmarshalText(text []byte) error {
	v, err := wire.Variant("AuthorityProofSource", string(text), proofSources...)
	*p = AuthorityProofSource(v)
	return err
}
