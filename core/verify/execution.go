package verify

import (
	"errors"
	"path/filepath"
	"strconv"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/plan"
)

// ExecutionLayout reads and validates root's plan and execution journal and
// checks that the journal executes exactly that plan (reference §5.4).
func ExecutionLayout(root string) (*ExecutionReport, error) {
	p, err := ReadPlan(root)
	if err != nil {
		return nil, err
	}
	j, err := ReadExecutionJournal(root)
	if err != nil {
		return nil, err
	}
	rep, err := Execution(p, j)
	var ve *VerificationError
	if errors.As(err, &ve) {
		ve.Path = filepath.Join(root, ExecutionJournalFile)
	}
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// Execution checks that j executes plan p: same plan and run ids, one
// operation per phase, and, position by position, the same sequence,
// operation id, kind and target. Failures are *VerificationError with
// 0.35.1's texts.
func Execution(p *plan.BackupPlan, j *journal.BackupExecutionJournal) (*ExecutionReport, error) {
	mismatch := func(field string) error {
		return fail(CodePlanJournalMismatch, "", nil, "backup plan %s does not match execution journal", field)
	}
	if p.PlanID != j.PlanID {
		return nil, mismatch("plan_id")
	}
	if p.RunID != j.RunID {
		return nil, mismatch("run_id")
	}
	if len(p.Phases) != len(j.Operations) {
		return nil, mismatch("operation_count")
	}
	for i := range p.Phases {
		ph, op := &p.Phases[i], &j.Operations[i]
		opMismatch := func(field string) error {
			return fail(CodePlanJournalOperationMismatch, "", nil,
				"backup plan operation %s %s does not match execution journal", strconv.FormatUint(op.Sequence, 10), field)
		}
		switch {
		case uint64(ph.Order) != op.Sequence:
			return nil, opMismatch("sequence")
		case ph.OperationID != op.OperationID:
			return nil, opMismatch("operation_id")
		case ph.Kind != op.Kind:
			return nil, opMismatch("kind")
		case deref(ph.TargetCanisterID) != deref(op.TargetCanisterID) || (ph.TargetCanisterID == nil) != (op.TargetCanisterID == nil):
			return nil, opMismatch("target_canister_id")
		}
	}
	return &ExecutionReport{
		PlanID:            p.PlanID,
		RunID:             p.RunID,
		Verified:          true,
		PlanOperations:    len(p.Phases),
		JournalOperations: len(j.Operations),
	}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
