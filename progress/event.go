package progress

import (
	"time"

	"github.com/canic-backup/canic-backup/core/runner"
)

// Type names what an Event reports. Scripts branch on it; new types may be
// added, existing ones are never renamed or removed.
type Type string

// Event types (the "type" of each --json-lines object).
const (
	RunStarted        Type = "run_started"
	OperationStarted  Type = "operation_started"
	DownloadProgress  Type = "download_progress"
	OperationFinished Type = "operation_finished"
	CanisterRestarted Type = "canister_restarted"
	RunFinished       Type = "run_finished"
	// Result is the last object of a --json-lines stream: the command's
	// result document (what --json prints).
	Result Type = "result"
)

// Outcomes of OperationFinished.
const (
	OutcomeCompleted = runner.OutcomeCompleted
	OutcomeFailed    = runner.OutcomeFailed
)

// Event is one step of a run, whatever runs it (backup or restore).
type Event struct {
	Type Type
	Time time.Time
	// RunID names the run.
	RunID string
	// Targets are the run's canisters (RunStarted).
	Targets []string
	// TotalOperations and CompletedOperations count the run's operations.
	TotalOperations     int
	CompletedOperations int
	Sequence            uint64
	OperationID         string
	// Phase is the operation's kind ("stop", "create-snapshot", ...).
	Phase string
	// Target is the canister the operation acts on ("" for none).
	Target  string
	Outcome string
	// BytesDone and BytesTotal report a download or upload (BytesTotal 0:
	// unknown).
	BytesDone  uint64
	BytesTotal uint64
	// Err is the failure of an operation or run.
	Err error
}

// FromRunner converts a backup runner event.
func FromRunner(e runner.Event) Event {
	return Event{
		Type:                Type(e.Type),
		Time:                e.Time,
		RunID:               e.RunID,
		Targets:             e.Targets,
		TotalOperations:     e.TotalOperations,
		CompletedOperations: e.CompletedOperations,
		Sequence:            e.Sequence,
		OperationID:         e.OperationID,
		Phase:               string(e.Kind),
		Target:              e.Target,
		Outcome:             e.Outcome,
		BytesDone:           e.BytesDone,
		BytesTotal:          e.BytesTotal,
		Err:                 e.Err,
	}
}
