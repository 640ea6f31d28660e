package journal

import "fmt"

// DownloadErrorCode identifies one kind of download-journal error. Each code
// is itself an error, so callers test with errors.Is(err, journal.ErrDuplicateArtifact).
type DownloadErrorCode int

// Download-journal error codes (0.35.1 JournalValidationError variants).
const (
	ErrUnsupportedJournalVersion DownloadErrorCode = iota + 1
	ErrEmptyField
	ErrEmptyCollection
	ErrInvalidPrincipal
	ErrInvalidHash
	ErrUnsupportedHashAlgorithm
	ErrDuplicateArtifact
	ErrInvalidStateTransition
	// ErrArtifactNotFound is new in this port: a transition named an
	// artifact the journal does not hold.
	ErrArtifactNotFound
)

// Error returns a short name of the code.
func (c DownloadErrorCode) Error() string {
	switch c {
	case ErrUnsupportedJournalVersion:
		return "download journal: unsupported journal version"
	case ErrEmptyField:
		return "download journal: empty field"
	case ErrEmptyCollection:
		return "download journal: empty collection"
	case ErrInvalidPrincipal:
		return "download journal: invalid principal"
	case ErrInvalidHash:
		return "download journal: invalid hash"
	case ErrUnsupportedHashAlgorithm:
		return "download journal: unsupported hash algorithm"
	case ErrDuplicateArtifact:
		return "download journal: duplicate artifact"
	case ErrInvalidStateTransition:
		return "download journal: invalid journal transition"
	case ErrArtifactNotFound:
		return "download journal: artifact not found"
	}
	return fmt.Sprintf("download journal error %d", int(c))
}

// DownloadJournalError is a download-journal validation or transition
// failure. Its message is 0.35.1's text; only the fields the code uses are set.
type DownloadJournalError struct {
	// Code says which rule failed.
	Code DownloadErrorCode
	// Field is the offending field path, e.g. "artifacts[].checksum".
	Field string
	// Value is the offending value (principal, algorithm) when relevant.
	Value string
	// Version is the unsupported journal version.
	Version uint16
	// CanisterID and SnapshotID name the artifact for duplicate/not-found errors.
	CanisterID, SnapshotID string
	// From and To are the states of a rejected transition.
	From, To ArtifactState
}

// Error renders 0.35.1's Display text.
func (e *DownloadJournalError) Error() string {
	switch e.Code {
	case ErrUnsupportedJournalVersion:
		return fmt.Sprintf("unsupported journal version %d", e.Version)
	case ErrEmptyField:
		return fmt.Sprintf("field %s must not be empty", e.Field)
	case ErrEmptyCollection:
		return fmt.Sprintf("collection %s must not be empty", e.Field)
	case ErrInvalidPrincipal:
		return fmt.Sprintf("field %s must be a valid principal: %s", e.Field, e.Value)
	case ErrInvalidHash:
		return fmt.Sprintf("field %s must be a non-empty sha256 hex string", e.Field)
	case ErrUnsupportedHashAlgorithm:
		return fmt.Sprintf("unsupported hash algorithm %s", e.Value)
	case ErrDuplicateArtifact:
		return fmt.Sprintf("duplicate artifact entry for canister %s snapshot %s", e.CanisterID, e.SnapshotID)
	case ErrInvalidStateTransition:
		return fmt.Sprintf("invalid journal transition from %s to %s", debugArtifactState(e.From), debugArtifactState(e.To))
	case ErrArtifactNotFound:
		return fmt.Sprintf("download journal has no artifact entry for canister %s snapshot %s", e.CanisterID, e.SnapshotID)
	}
	return e.Code.Error()
}

// Is makes errors.Is(err, code) true for the error's code.
func (e *DownloadJournalError) Is(target error) bool {
	c, ok := target.(DownloadErrorCode)
	return ok && c == e.Code
}

func debugArtifactState(s ArtifactState) string {
	if s.order() < 0 {
		return fmt.Sprintf("%q", string(s))
	}
	return string(s)
}
