package restore

import (
	"strings"
	"unicode"

	"github.com/canic-backup/canic-backup/core/checksum"
)

func valOr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func isBlank(s string) bool { return strings.TrimFunc(s, unicode.IsSpace) == "" }

func requireField(field, value string) error {
	if isBlank(value) {
		return newError(CodeMissingField, "restore apply journal field %s is required", field).withField(field, value)
	}
	return nil
}

func countMismatch(field string, reported, actual int) error {
	return newError(CodeCountMismatch, "restore apply journal count %s mismatch: reported=%d, actual=%d", field, reported, actual).
		withField(field, "")
}

// Validate checks the journal in 0.35.1's exact order (§4.1); the first
// failure wins.
func (j *Journal) Validate() error {
	if j.JournalVersion != JournalVersion {
		return newError(CodeUnsupportedVersion, "unsupported restore apply journal version %d", j.JournalVersion)
	}
	if err := requireField("backup_id", j.BackupID); err != nil {
		return err
	}
	if j.BackupRoot != nil {
		if err := requireField("backup_root", *j.BackupRoot); err != nil {
			return err
		}
	}
	if j.OperationCount != len(j.Operations) {
		return countMismatch("operation_count", j.OperationCount, len(j.Operations))
	}
	actual := countKinds(j.Operations)
	for _, c := range []struct {
		name      string
		rep, have int
	}{
		{"canister_stops", j.OperationCounts.CanisterStops, actual.CanisterStops},
		{"canister_starts", j.OperationCounts.CanisterStarts, actual.CanisterStarts},
		{"snapshot_uploads", j.OperationCounts.SnapshotUploads, actual.SnapshotUploads},
		{"snapshot_loads", j.OperationCounts.SnapshotLoads, actual.SnapshotLoads},
		{"member_verifications", j.OperationCounts.MemberVerifications, actual.MemberVerifications},
		{"fleet_verifications", j.OperationCounts.FleetVerifications, actual.FleetVerifications},
		{"verification_operations", j.OperationCounts.VerificationOperations, actual.VerificationOperations},
	} {
		if c.rep != c.have {
			return countMismatch("operation_counts."+c.name, c.rep, c.have)
		}
	}
	states := map[OperationState]int{}
	for _, op := range j.Operations {
		states[op.State]++
	}
	for _, c := range []struct {
		name string
		rep  int
		st   OperationState
	}{
		{"pending_operations", j.PendingOperations, StatePending},
		{"ready_operations", j.ReadyOperations, StateReady},
		{"blocked_operations", j.BlockedOperations, StateBlocked},
		{"completed_operations", j.CompletedOperations, StateCompleted},
		{"failed_operations", j.FailedOperations, StateFailed},
	} {
		if c.rep != states[c.st] {
			return countMismatch(c.name, c.rep, states[c.st])
		}
	}
	if j.Ready && (len(j.BlockedReasons) > 0 || j.BlockedOperations > 0) {
		return newError(CodeReadyWithBlocked, "ready restore apply journal cannot include blocked reasons or blocked operations")
	}
	seen := map[int]bool{}
	for _, op := range j.Operations {
		if seen[op.Sequence] {
			return newError(CodeDuplicateSequence, "restore apply journal has duplicate operation sequence %d", op.Sequence).withSeq(op.Sequence)
		}
		seen[op.Sequence] = true
	}
	for s := 0; s < len(j.Operations); s++ {
		if !seen[s] {
			return newError(CodeMissingSequence, "restore apply journal is missing operation sequence %d", s).withSeq(s)
		}
	}
	for i := range j.Operations {
		if err := j.Operations[i].validate(); err != nil {
			return err
		}
	}
	for i := range j.OperationReceipts {
		if err := j.validateReceipt(&j.OperationReceipts[i]); err != nil {
			return err
		}
	}
	return nil
}

func (op *JournalOperation) validate() error {
	for _, f := range []struct{ name, v string }{
		{"operations[].source_canister", op.SourceCanister},
		{"operations[].target_canister", op.TargetCanister},
		{"operations[].role", op.Role},
	} {
		if err := requireField(f.name, f.v); err != nil {
			return err
		}
	}
	if op.StateUpdatedAt != nil {
		if err := requireField("operations[].state_updated_at", *op.StateUpdatedAt); err != nil {
			return err
		}
	}
	missing := func(field string) error {
		return newError(CodeOperationMissingField, "restore apply journal operation %d %s is missing field %s", op.Sequence, op.Operation.RustName(), field).
			withSeq(op.Sequence).withField(field, "")
	}
	blank := func(p *string) bool { return p == nil || isBlank(*p) }
	switch op.Operation {
	case OpUploadSnapshot:
		if blank(op.ArtifactPath) {
			return missing("operations[].artifact_path")
		}
	case OpLoadSnapshot:
		if blank(op.SnapshotID) {
			return missing("operations[].snapshot_id")
		}
	case OpVerifyMember, OpVerifyFleet:
		if blank(op.VerificationKind) {
			return missing("operations[].verification_kind")
		}
		if *op.VerificationKind != "status" {
			return newError(CodeUnsupportedVerification, "restore apply journal operation %d uses unsupported verification kind %s", op.Sequence, *op.VerificationKind).
				withSeq(op.Sequence).withField("operations[].verification_kind", *op.VerificationKind)
		}
	}
	if op.Checksum != nil {
		if op.Operation != OpUploadSnapshot && op.Operation != OpLoadSnapshot {
			return newError(CodeOperationMissingField, "restore apply journal operation %d %s has a checksum; only upload and load operations carry one", op.Sequence, op.Operation.RustName()).
				withSeq(op.Sequence).withField("operations[].checksum", *op.Checksum)
		}
		if !checksum.IsHex64(*op.Checksum) {
			return newError(CodeInvalidChecksum, "restore apply journal operation %d field operations[].checksum is not a hex SHA-256: %q", op.Sequence, *op.Checksum).
				withSeq(op.Sequence).withField("operations[].checksum", *op.Checksum)
		}
	}
	if len(op.Files) > 0 && op.Operation != OpUploadSnapshot {
		return newError(CodeOperationMissingField, "restore apply journal operation %d %s has files; only upload operations carry them", op.Sequence, op.Operation.RustName()).
			withSeq(op.Sequence).withField("operations[].files", "")
	}
	for _, f := range op.Files {
		if !lexicallySafe(f.Path) {
			return newError(CodeArtifactPathEscapesBackup, "restore apply journal operation %d field operations[].files[].path is not a relative path inside the artifact: %q", op.Sequence, f.Path).
				withSeq(op.Sequence).withField("operations[].files[].path", f.Path)
		}
		if !checksum.IsHex64(f.SHA256) {
			return newError(CodeInvalidChecksum, "restore apply journal operation %d field operations[].files[].sha256 of %s is not a hex SHA-256: %q", op.Sequence, f.Path, f.SHA256).
				withSeq(op.Sequence).withField("operations[].files[].sha256", f.SHA256)
		}
	}
	switch op.State {
	case StateBlocked:
		if len(op.BlockingReasons) == 0 {
			return newError(CodeBlockingReasonRequired, "blocked restore apply journal operation %d is missing a blocking reason", op.Sequence).withSeq(op.Sequence)
		}
	case StateFailed:
		if len(op.BlockingReasons) == 0 {
			return newError(CodeFailureReasonRequired, "failed restore apply journal operation %d requires a reason", op.Sequence).withSeq(op.Sequence)
		}
	default:
		if len(op.BlockingReasons) > 0 {
			return newError(CodeUnblockedHasReasons, "unblocked restore apply journal operation %d cannot have blocking reasons", op.Sequence).withSeq(op.Sequence)
		}
	}
	return nil
}

func (j *Journal) validateReceipt(r *OperationReceipt) error {
	op := j.operation(r.Sequence)
	if op == nil {
		return newError(CodeReceiptMissingOperation, "restore apply journal receipt references missing operation %d", r.Sequence).withSeq(r.Sequence)
	}
	if op.Operation != r.Operation || op.SourceCanister != r.SourceCanister || op.TargetCanister != r.TargetCanister {
		return newError(CodeReceiptMismatch, "restore apply journal receipt does not match operation %d", r.Sequence).withSeq(r.Sequence)
	}
	if r.Checksum != nil && !checksumEq(r.Checksum, op.Checksum) {
		return newError(CodeReceiptMismatch, "restore apply journal receipt checksum %s does not match operation %d's checksum %s", *r.Checksum, r.Sequence, orNone(valOr(op.Checksum))).withSeq(r.Sequence)
	}
	val := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	if r.Operation == OpUploadSnapshot {
		if err := requireField("operation_receipts[].source_snapshot_id", val(r.SourceSnapshotID)); err != nil {
			return err
		}
		if err := requireField("operation_receipts[].artifact_path", val(r.ArtifactPath)); err != nil {
			return err
		}
		if r.outcome() == OutcomeCommandCompleted {
			if err := requireField("operation_receipts[].uploaded_snapshot_id", val(r.UploadedSnapshotID)); err != nil {
				return err
			}
		}
	}
	if r.outcome() == OutcomeCommandFailed {
		if err := requireField("operation_receipts[].failure_reason", val(r.FailureReason)); err != nil {
			return err
		}
	}
	return nil
}
