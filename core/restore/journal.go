package restore

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/wire"
)

// JournalVersion is the only apply journal version.
const JournalVersion uint16 = 1

// Journal blocking reasons added to a plan's readiness reasons.
const (
	ReasonMissingArtifacts                     = "missing-artifacts"
	ReasonArtifactChecksumValidationIncomplete = "artifact-checksum-validation-incomplete"
	ReasonMissingArtifactValidation            = "missing-artifact-validation"
)

// Journal is the restore apply journal (--journal-out; read and rewritten
// by `restore run`), with 0.35.1's fields.
type Journal struct {
	JournalVersion uint16   `json:"journal_version"`
	BackupID       string   `json:"backup_id"`
	Ready          bool     `json:"ready"`
	BlockedReasons []string `json:"blocked_reasons"`
	// BackupRoot is the --backup-dir of a validated apply; absent otherwise.
	BackupRoot          *string             `json:"backup_root,omitempty"`
	OperationCount      int                 `json:"operation_count"`
	OperationCounts     OperationKindCounts `json:"operation_counts"`
	PendingOperations   int                 `json:"pending_operations"`
	ReadyOperations     int                 `json:"ready_operations"`
	BlockedOperations   int                 `json:"blocked_operations"`
	CompletedOperations int                 `json:"completed_operations"`
	FailedOperations    int                 `json:"failed_operations"`
	Operations          []JournalOperation  `json:"operations"`
	// OperationReceipts is the per-command audit trail.
	OperationReceipts []OperationReceipt `json:"operation_receipts,omitempty" wire:"default"`
}

// JournalOperation is one operation row and its state.
type JournalOperation struct {
	Sequence  int            `json:"sequence"`
	Operation OperationKind  `json:"operation"`
	State     OperationState `json:"state"`
	// StateUpdatedAt marks the last transition ("unix:<secs>").
	StateUpdatedAt   *string  `json:"state_updated_at,omitempty"`
	BlockingReasons  []string `json:"blocking_reasons"`
	MemberOrder      int      `json:"member_order"`
	SourceCanister   string   `json:"source_canister"`
	TargetCanister   string   `json:"target_canister"`
	Role             string   `json:"role"`
	SnapshotID       *string  `json:"snapshot_id"`
	ArtifactPath     *string  `json:"artifact_path"`
	VerificationKind *string  `json:"verification_kind"`
	// Checksum is the artifact checksum (lower-case hex SHA-256) that
	// `restore apply` verified, on upload and load rows; canic-backup's
	// extension of 0.35.1's row (absent in 0.35.1 journals). `restore run`
	// uploads only a staged copy of the artifact that hashes to it.
	Checksum *string `json:"checksum,omitempty"`
	// Files are the digests of a directory artifact's files, on upload
	// rows (canic-backup's extension), so a mismatch at run names the file
	// that changed.
	Files []ArtifactFile `json:"files,omitempty" wire:"default"`
}

// ArtifactFile is one file of a directory artifact and its SHA-256.
type ArtifactFile struct {
	// Path is '/'-separated, relative to the artifact.
	Path string `json:"path"`
	// SHA256 is the lower-case hex SHA-256 of its bytes.
	SHA256 string `json:"sha256"`
}

// OperationReceipt is the durable record of one executed command.
type OperationReceipt struct {
	Sequence       int            `json:"sequence"`
	Operation      OperationKind  `json:"operation"`
	Outcome        ReceiptOutcome `json:"outcome" wire:"default"`
	SourceCanister string         `json:"source_canister"`
	TargetCanister string         `json:"target_canister"`
	// Attempt is 1-based.
	Attempt            int            `json:"attempt" wire:"default"`
	UpdatedAt          *string        `json:"updated_at,omitempty"`
	Command            *RunnerCommand `json:"command,omitempty"`
	Status             *string        `json:"status,omitempty"`
	Stdout             *CommandOutput `json:"stdout,omitempty"`
	Stderr             *CommandOutput `json:"stderr,omitempty"`
	FailureReason      *string        `json:"failure_reason,omitempty"`
	SourceSnapshotID   *string        `json:"source_snapshot_id,omitempty"`
	ArtifactPath       *string        `json:"artifact_path,omitempty"`
	UploadedSnapshotID *string        `json:"uploaded_snapshot_id,omitempty"`
	// Checksum is the checksum of the bytes uploaded (an upload) or of the
	// artifact whose upload is loaded (a load); canic-backup's extension,
	// absent when the operation row has none.
	Checksum *string `json:"checksum,omitempty"`
}

func (r *OperationReceipt) outcome() ReceiptOutcome {
	if r.Outcome == "" {
		return OutcomeCommandCompleted
	}
	return r.Outcome
}

// RunnerCommand is the command preview recorded for an operation.
type RunnerCommand struct {
	Program                 string   `json:"program"`
	Args                    []string `json:"args"`
	Mutates                 bool     `json:"mutates"`
	RequiresStoppedCanister bool     `json:"requires_stopped_canister"`
	Note                    string   `json:"note"`
}

// CommandOutput is a bounded tail of a command's output stream.
type CommandOutput struct {
	Text          string `json:"text"`
	Truncated     bool   `json:"truncated"`
	OriginalBytes int    `json:"original_bytes"`
}

// NewJournal builds the initial journal of a dry-run (0.35.1 §3.4): every
// operation ready, or every operation blocked with all the journal's
// reasons.
func NewJournal(d *DryRun) *Journal {
	reasons := append([]string{}, d.ReadinessReasons...)
	if v := d.ArtifactValidation; v == nil {
		reasons = append(reasons, ReasonMissingArtifactValidation)
	} else {
		if !v.ArtifactsPresent {
			reasons = append(reasons, ReasonMissingArtifacts)
		}
		if !v.ChecksumsVerified {
			reasons = append(reasons, ReasonArtifactChecksumValidationIncomplete)
		}
	}
	reasons = sortedUnique(reasons)
	j := &Journal{
		JournalVersion: JournalVersion,
		BackupID:       d.BackupID,
		Ready:          len(reasons) == 0,
		BlockedReasons: reasons,
		Operations:     []JournalOperation{},
	}
	if d.ArtifactValidation != nil {
		j.BackupRoot = strPtr(d.ArtifactValidation.BackupRoot)
	}
	state := StateReady
	if !j.Ready {
		state = StateBlocked
	}
	verified := verifiedChecksums(d.ArtifactValidation)
	for _, op := range d.Operations {
		row := JournalOperation{
			Sequence: op.Sequence, Operation: op.Operation, State: state,
			BlockingReasons: append([]string{}, reasons...), MemberOrder: op.MemberOrder,
			SourceCanister: op.SourceCanister, TargetCanister: op.TargetCanister, Role: op.Role,
			SnapshotID: cloneStr(op.SnapshotID), ArtifactPath: cloneStr(op.ArtifactPath),
			VerificationKind: cloneStr(op.VerificationKind),
		}
		if (op.Operation == OpUploadSnapshot || op.Operation == OpLoadSnapshot) && op.ArtifactPath != nil {
			if v, ok := verified[artifactKey{op.SourceCanister, *op.ArtifactPath}]; ok {
				row.Checksum = strPtr(v.sum)
				if op.Operation == OpUploadSnapshot {
					row.Files = artifactFiles(v.files)
				}
			}
		}
		j.Operations = append(j.Operations, row)
	}
	j.recount()
	return j
}

type artifactKey struct{ source, path string }

type verifiedArtifact struct {
	sum   string
	files []checksum.FileDigest
}

// verifiedChecksums returns the checksums (in lower case) and file digests
// apply verified, by source canister and artifact path.
func verifiedChecksums(v *ArtifactValidation) map[artifactKey]verifiedArtifact {
	out := map[artifactKey]verifiedArtifact{}
	if v == nil {
		return out
	}
	for _, c := range v.Checks {
		if c.ChecksumVerified && c.ChecksumActual != nil {
			out[artifactKey{c.SourceCanister, c.ArtifactPath}] = verifiedArtifact{sum: strings.ToLower(*c.ChecksumActual), files: c.files}
		}
	}
	return out
}

// artifactFiles renders file digests in component-wise path order (nil
// for none).
func artifactFiles(files []checksum.FileDigest) []ArtifactFile {
	if len(files) == 0 {
		return nil
	}
	sorted := slices.Clone(files)
	slices.SortFunc(sorted, func(a, b checksum.FileDigest) int { return checksum.ComparePaths(a.Rel, b.Rel) })
	out := make([]ArtifactFile, len(sorted))
	for i, f := range sorted {
		out[i] = ArtifactFile{Path: f.Rel, SHA256: strings.ToLower(f.SHA256)}
	}
	return out
}

func sortedUnique(in []string) []string {
	sort.Strings(in)
	out := []string{}
	for i, s := range in {
		if i == 0 || s != in[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// recount recomputes operation_count, operation_counts and the state
// counters from the rows.
func (j *Journal) recount() {
	j.OperationCount = len(j.Operations)
	j.OperationCounts = countKinds(j.Operations)
	j.PendingOperations, j.ReadyOperations, j.BlockedOperations, j.CompletedOperations, j.FailedOperations = 0, 0, 0, 0, 0
	for _, op := range j.Operations {
		switch op.State {
		case StatePending:
			j.PendingOperations++
		case StateReady:
			j.ReadyOperations++
		case StateBlocked:
			j.BlockedOperations++
		case StateCompleted:
			j.CompletedOperations++
		case StateFailed:
			j.FailedOperations++
		}
	}
}

func countKinds(ops []JournalOperation) OperationKindCounts {
	var c OperationKindCounts
	for _, op := range ops {
		c.add(op.Operation)
	}
	return c
}

// DecodeJournal parses a journal strictly and validates it.
func DecodeJournal(data []byte) (*Journal, error) {
	var j Journal
	if err := wire.Unmarshal(data, &j); err != nil {
		return nil, err
	}
	if err := j.Validate(); err != nil {
		return nil, err
	}
	return &j, nil
}

// ReadJournal reads, decodes and validates a journal file; errors name the
// file.
func ReadJournal(path string) (*Journal, error) {
	data, err := layout.ReadDocument(path, layout.MaxDocumentSize)
	if err != nil {
		return nil, err
	}
	j, err := DecodeJournal(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return j, nil
}

// IsComplete reports whether every operation completed.
func (j *Journal) IsComplete() bool {
	return j.OperationCount > 0 && j.CompletedOperations == j.OperationCount
}

// operation returns the row with sequence seq.
func (j *Journal) operation(seq int) *JournalOperation {
	for i := range j.Operations {
		if j.Operations[i].Sequence == seq {
			return &j.Operations[i]
		}
	}
	return nil
}

// NextTransition is the row with the lowest sequence that is ready, pending
// or failed (a failed row holds back everything after it).
func (j *Journal) NextTransition() *JournalOperation {
	var best *JournalOperation
	for i := range j.Operations {
		op := &j.Operations[i]
		switch op.State {
		case StateReady, StatePending, StateFailed:
			if best == nil || op.Sequence < best.Sequence {
				best = op
			}
		}
	}
	return best
}

// UploadedSnapshotIDForLoad finds the target-side snapshot id recorded by
// the completed upload that matches a load row (0.35.1 §4.4).
func (j *Journal) UploadedSnapshotIDForLoad(load *JournalOperation) (string, bool) {
	if load.Operation != OpLoadSnapshot {
		return "", false
	}
	for _, r := range j.OperationReceipts {
		if r.Operation != OpUploadSnapshot || r.outcome() != OutcomeCommandCompleted {
			continue
		}
		if r.SourceCanister != load.SourceCanister || r.TargetCanister != load.TargetCanister ||
			!optEq(r.SourceSnapshotID, load.SnapshotID) || !optEq(r.ArtifactPath, load.ArtifactPath) {
			continue
		}
		if !checksumEq(r.Checksum, load.Checksum) {
			continue
		}
		if r.UploadedSnapshotID == nil || isBlank(*r.UploadedSnapshotID) {
			continue
		}
		up := j.operation(r.Sequence)
		if up == nil || up.Operation != OpUploadSnapshot || up.State != StateCompleted {
			continue
		}
		return *r.UploadedSnapshotID, true
	}
	return "", false
}

// checksumEq compares two optional hex checksums regardless of case.
func checksumEq(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return strings.EqualFold(*a, *b)
}

func optEq(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
