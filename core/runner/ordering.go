package runner

import (
	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/plan"
)

// fleetOrdering is the journal.Ordering of a concurrent run. An operation
// may become pending when every operation before it in sequence order that
// it depends on is completed or skipped. Operations depend on every earlier
// one except:
//
//   - a stop does not wait for stops at its own depth or deeper (stops go
//     top-down, one depth level at a time);
//   - a create-snapshot does not wait for other create-snapshots (all at
//     once, after every stop);
//   - a start does not wait for starts at its own depth or shallower
//     (bottom-up, one level at a time, after every snapshot);
//   - a download does not wait for starts, other downloads or
//     verifications (0.35.1 interleaves download and verify per canister;
//     a download needs only the snapshots, all taken before the first
//     start);
//   - a verify-artifact waits only for the download of its own target (and
//     for everything before the starts).
//
// finalize-manifest and the validate-* operations wait for everything
// before them, so a plan of another shape runs sequentially.
type fleetOrdering struct {
	depth map[string]uint32
}

var _ journal.Ordering = fleetOrdering{}

func newFleetOrdering(p *plan.BackupPlan) fleetOrdering {
	o := fleetOrdering{depth: make(map[string]uint32, len(p.Targets))}
	for _, t := range p.Targets {
		o.depth[t.CanisterID] = t.Depth
	}
	return o
}

// Admit implements journal.Ordering.
func (o fleetOrdering) Admit(j *journal.BackupExecutionJournal, seq uint64) error {
	op := j.Operation(seq)
	if op == nil {
		return &journal.ExecutionJournalError{Code: journal.ErrNoTransitionableOperation}
	}
	for i := range j.Operations {
		before := &j.Operations[i]
		if before.Sequence < seq && !before.State.Done() && o.dependsOn(before, op) {
			return &journal.ExecutionJournalError{Code: journal.ErrOutOfOrderOperationTransition, Requested: seq, Next: before.Sequence}
		}
	}
	return nil
}

// dependsOn reports whether op must wait for before (an earlier operation).
func (o fleetOrdering) dependsOn(before, op *journal.BackupExecutionJournalOperation) bool {
	switch op.Kind {
	case plan.OpStop:
		if before.Kind == plan.OpStop {
			return o.depthOf(before) < o.depthOf(op)
		}
	case plan.OpCreateSnapshot:
		if before.Kind == plan.OpCreateSnapshot {
			return false
		}
	case plan.OpStart:
		if before.Kind == plan.OpStart {
			return o.depthOf(before) > o.depthOf(op)
		}
	case plan.OpDownloadSnapshot:
		switch before.Kind {
		case plan.OpStart, plan.OpDownloadSnapshot, plan.OpVerifyArtifact:
			return false
		}
	case plan.OpVerifyArtifact:
		switch before.Kind {
		case plan.OpStart, plan.OpVerifyArtifact:
			return false
		case plan.OpDownloadSnapshot:
			return deref(before.TargetCanisterID) == deref(op.TargetCanisterID)
		}
	}
	return true
}

func (o fleetOrdering) depthOf(op *journal.BackupExecutionJournalOperation) uint32 {
	return o.depth[deref(op.TargetCanisterID)]
}

// anyOrder admits every operation; a retry uses it to mark the operations
// a previous run left failed pending again (each had its dependencies done
// when it ran).
type anyOrder struct{}

// Admit implements journal.Ordering.
func (anyOrder) Admit(*journal.BackupExecutionJournal, uint64) error { return nil }

// pool is the class of an operation for the concurrency caps.
type pool int

const (
	poolSerial   pool = iota // validate-*, finalize-manifest: alone
	poolControl              // stop, create-snapshot, start: IC calls
	poolTransfer             // download-snapshot, verify-artifact
)

func poolOf(k plan.BackupOperationKind) pool {
	switch k {
	case plan.OpStop, plan.OpCreateSnapshot, plan.OpStart:
		return poolControl
	case plan.OpDownloadSnapshot, plan.OpVerifyArtifact:
		return poolTransfer
	}
	return poolSerial
}
