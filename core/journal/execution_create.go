package journal

import "github.com/canic-backup/canic-backup/core/plan"

// FromPlan builds a new execution journal from a plan (reference §4.1.2):
// one operation per phase (sequence = order), preflight operations ready,
// every other operation blocked by "preflight-not-accepted". The plan must
// validate; otherwise the error has code ErrInvalidPlan and wraps the plan's
// error.
func FromPlan(p *plan.BackupPlan) (*BackupExecutionJournal, error) {
	if err := p.Validate(); err != nil {
		return nil, &ExecutionJournalError{Code: ErrInvalidPlan, Err: err}
	}
	j := &BackupExecutionJournal{
		JournalVersion:    ExecutionJournalVersion,
		PlanID:            p.PlanID,
		RunID:             p.RunID,
		Operations:        make([]BackupExecutionJournalOperation, 0, len(p.Phases)),
		OperationReceipts: []BackupExecutionOperationReceipt{},
	}
	for _, phase := range p.Phases {
		op := BackupExecutionJournalOperation{
			Sequence:         uint64(phase.Order),
			OperationID:      phase.OperationID,
			Kind:             phase.Kind,
			TargetCanisterID: cloneString(phase.TargetCanisterID),
			State:            StateReady,
			BlockingReasons:  []string{},
		}
		if IsMutatingKind(op.Kind) {
			op.State = StateBlocked
			op.BlockingReasons = []string{ReasonPreflightNotAccepted}
		}
		j.Operations = append(j.Operations, op)
	}
	if err := j.Validate(); err != nil {
		return nil, err
	}
	return j, nil
}
