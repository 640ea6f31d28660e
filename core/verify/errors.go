package verify

import (
	"errors"
	"fmt"
)

// ErrVerification is matched (errors.Is) by every *VerificationError.
var ErrVerification = errors.New("backup verification failed")

// Code names a verification failure; most values are 0.35.1's
// PersistenceError variant names.
type Code string

// Verification failure codes.
const (
	// CodeUnreadable: a document could not be read or decoded.
	CodeUnreadable Code = "Unreadable"
	// CodeInvalidManifest: the manifest breaks a validation rule.
	CodeInvalidManifest Code = "InvalidManifest"
	// CodeInvalidJournal: the download journal breaks a validation rule.
	CodeInvalidJournal Code = "InvalidJournal"
	// CodeInvalidBackupPlan: the plan breaks a validation rule.
	CodeInvalidBackupPlan Code = "InvalidBackupPlan"
	// CodeInvalidExecutionJournal: the execution journal breaks a rule.
	CodeInvalidExecutionJournal             Code = "InvalidExecutionJournal"
	CodeBackupIDMismatch                    Code = "BackupIdMismatch"
	CodeManifestJournalTopologyMismatch     Code = "ManifestJournalTopologyReceiptMismatch"
	CodeUnexpectedJournalArtifact           Code = "UnexpectedJournalArtifact"
	CodeMissingJournalArtifact              Code = "MissingJournalArtifact"
	CodeNonDurableArtifact                  Code = "NonDurableArtifact"
	CodeMissingJournalArtifactChecksum      Code = "MissingJournalArtifactChecksum"
	CodeManifestJournalArtifactPathMismatch Code = "ManifestJournalArtifactPathMismatch"
	CodeManifestJournalChecksumMismatch     Code = "ManifestJournalChecksumMismatch"
	CodeArtifactPathEscapesBackup           Code = "ArtifactPathEscapesBackup"
	CodeMissingArtifact                     Code = "MissingArtifact"
	// CodeUnsupportedArtifactEntry: a symbolic link or special file in or
	// on the way to an artifact (not in 0.35.1, which followed links).
	CodeUnsupportedArtifactEntry Code = "UnsupportedArtifactEntry"
	// CodeChecksum: an artifact's recomputed checksum differs.
	CodeChecksum                     Code = "Checksum"
	CodePlanJournalMismatch          Code = "PlanJournalMismatch"
	CodePlanJournalOperationMismatch Code = "PlanJournalOperationMismatch"
)

// VerificationError is the first problem found in a backup directory.
type VerificationError struct {
	// Code names the problem.
	Code Code
	// Path is the file or artifact at fault: the document that failed to
	// read or validate, the download journal for manifest/journal
	// disagreements, or the artifact path for artifact problems.
	Path string
	// Message is 0.35.1's text for the problem (without Path).
	Message string
	// Err is the underlying cause, if any (a *manifest.ValidationError,
	// *checksum.MismatchError, *checksum.EntryError, I/O error, ...).
	Err error
}

// Error returns "<path>: <message>" (just the message when no path applies).
func (e *VerificationError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Message)
}

// Is makes every VerificationError match ErrVerification.
func (e *VerificationError) Is(target error) bool { return target == ErrVerification }

// Unwrap returns the underlying cause.
func (e *VerificationError) Unwrap() error { return e.Err }

// CodeOf returns the Code of the first *VerificationError in err's chain, or
// "" when there is none.
func CodeOf(err error) Code {
	var ve *VerificationError
	if errors.As(err, &ve) {
		return ve.Code
	}
	return ""
}

func fail(code Code, path string, cause error, format string, args ...any) *VerificationError {
	return &VerificationError{Code: code, Path: path, Message: fmt.Sprintf(format, args...), Err: cause}
}

func wrap(code Code, path string, cause error) *VerificationError {
	return &VerificationError{Code: code, Path: path, Message: cause.Error(), Err: cause}
}
