package journal

import "github.com/canic-backup/canic-backup/core/wire"

// ArtifactState is the progress of one artifact in the download journal.
// It is PascalCase on the wire, unlike every other enum.
type ArtifactState string

// Artifact states, in the only order an artifact may move through them.
const (
	ArtifactCreated          ArtifactState = "Created"
	ArtifactDownloaded       ArtifactState = "Downloaded"
	ArtifactChecksumVerified ArtifactState = "ChecksumVerified"
	ArtifactDurable          ArtifactState = "Durable"
)

var artifactStates = []string{"Created", "Downloaded", "ChecksumVerified", "Durable"}

// order returns the position of s in the state machine, -1 if s is unknown.
func (s ArtifactState) order() int {
	for i, v := range artifactStates {
		if v == string(s) {
			return i
		}
	}
	return -1
}

// CanAdvanceTo reports whether s may move to next: forward jumps and
// same-state re-advances are allowed, backward moves are not.
func (s ArtifactState) CanAdvanceTo(next ArtifactState) bool {
	from, to := s.order(), next.order()
	return from >= 0 && to >= 0 && from <= to
}

// ResumeAction returns the idempotent step that continues an artifact in
// state s.
func (s ArtifactState) ResumeAction() ResumeAction {
	switch s {
	case ArtifactCreated:
		return ResumeDownload
	case ArtifactDownloaded:
		return ResumeVerifyChecksum
	case ArtifactChecksumVerified:
		return ResumeFinalize
	default:
		return ResumeSkip
	}
}

// MarshalText implements encoding.TextMarshaler.
func (s ArtifactState) MarshalText() ([]byte, error) {
	return wire.VariantText("ArtifactState", string(s), artifactStates...)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *ArtifactState) UnmarshalText(text []byte) error {
	v, err := wire.Variant("ArtifactState", string(text), artifactStates...)
	if err != nil {
		return err
	}
	*s = ArtifactState(v)
	return nil
}

// String returns the wire spelling, which is also the Rust Debug name.
func (s ArtifactState) String() string { return string(s) }

// ResumeAction is the step that continues an artifact after a restart.
type ResumeAction string

// Resume actions (PascalCase on the wire).
const (
	ResumeDownload       ResumeAction = "Download"
	ResumeVerifyChecksum ResumeAction = "VerifyChecksum"
	ResumeFinalize       ResumeAction = "Finalize"
	ResumeSkip           ResumeAction = "Skip"
)

var resumeActions = []string{"Download", "VerifyChecksum", "Finalize", "Skip"}

// MarshalText implements encoding.TextMarshaler.
func (a ResumeAction) MarshalText() ([]byte, error) {
	return wire.VariantText("ResumeAction", string(a), resumeActions...)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *ResumeAction) UnmarshalText(text []byte) error {
	v, err := wire.Variant("ResumeAction", string(text), resumeActions...)
	if err != nil {
		return err
	}
	*a = ResumeAction(v)
	return nil
}

// UnknownVariantError reports an enum wire value that is not one of the
// accepted spellings (serde's "unknown variant" error).
type UnknownVariantError = wire.UnknownVariantError
