package runner

import (
	"fmt"
	"time"

	"github.com/canic-backup/canic-backup/core/journal"
)

// Tool identity written into manifests unless Config overrides it.
const (
	DefaultToolName    = "canic-backup"
	DefaultToolVersion = "0.1.0"
)

// Config says which backup directory to run and how.
type Config struct {
	// Dir is the backup directory holding backup-plan.json.
	Dir string
	// MaxSteps, when positive, stops the run after that many operations
	// (preflight acceptance is not counted); the run can be resumed.
	// Zero means no limit.
	MaxSteps int
	// RetryFailed allows the run to retry an operation a previous run left
	// failed. Without it Run stops with a *FailedOperationError, so a
	// failure is never retried by accident.
	RetryFailed bool
	// Clock returns the current time; every timestamp the run writes comes
	// from it. Nil means time.Now.
	Clock func() time.Time
	// ToolName and ToolVersion are written into the manifest's tool
	// section. Empty means DefaultToolName / DefaultToolVersion.
	ToolName    string
	ToolVersion string
	// Observer, when set, receives the run's events (operations started and
	// finished, download bytes, restarts). Nil means nobody observes; the
	// run behaves the same either way.
	Observer Observer
	// Concurrency, when above 1, runs independent operations of a phase in
	// parallel (fleetOrdering): at most Concurrency stop/snapshot/start
	// calls and, separately, at most Concurrency downloads/verifications
	// at once. 0 or 1 is 0.35.1's one-at-a-time run.
	Concurrency int
	// RecordDowntime records when each canister's stop was requested and
	// its start returned, in backup-downtime.json, the Response and the
	// manifest's provenance. Off, every file is as 0.35.1 writes it.
	RecordDowntime bool
	// NoRestartOnFailure leaves the canisters a failed or interrupted run
	// stopped (recorded so in the journal) instead of starting them again;
	// `backup recover` starts them later. The default restarts them.
	NoRestartOnFailure bool
	// Sink, when set, receives each artifact as soon as its checksum is
	// recorded (verify-artifact), and its temp directory is then removed;
	// finalize marks an artifact Durable when the sink holds it, with no
	// rename into the backup directory. Nil keeps artifacts in the backup
	// directory (0.35.1's layout). Journals and manifest are the same.
	Sink ArtifactSink
}

func (c Config) now() time.Time {
	if c.Clock != nil {
		return c.Clock()
	}
	return time.Now()
}

// marker returns the current time as a timestamp marker "unix:<seconds>"
// (0 before the epoch).
func (c Config) marker() string { return Marker(c.now()) }

// Marker renders t as a timestamp marker "unix:<seconds>" (0 before the epoch).
func Marker(t time.Time) string {
	s := t.Unix()
	if s < 0 {
		s = 0
	}
	return fmt.Sprintf("unix:%d", s)
}

func (c Config) tool() (string, string) {
	name, version := c.ToolName, c.ToolVersion
	if name == "" {
		name = DefaultToolName
	}
	if version == "" {
		version = DefaultToolVersion
	}
	return name, version
}

// Response reports one call of Run (0.35.1's BackupRunResponse, same JSON).
type Response struct {
	RunID                  string                               `json:"run_id"`
	PlanID                 string                               `json:"plan_id"`
	BackupID               string                               `json:"backup_id"`
	Complete               bool                                 `json:"complete"`
	MaxStepsReached        bool                                 `json:"max_steps_reached"`
	ExecutedOperationCount uint64                               `json:"executed_operation_count"`
	ExecutedOperations     []ExecutedOperation                  `json:"executed_operations"`
	Execution              journal.BackupExecutionResumeSummary `json:"execution"`
	// Downtime is present only with Config.RecordDowntime (not in 0.35.1).
	Downtime *Downtime `json:"downtime,omitempty"`
}

// ExecutedOperation is one operation executed by this call of Run.
type ExecutedOperation struct {
	Sequence    uint64 `json:"sequence"`
	OperationID string `json:"operation_id"`
	// Kind is the Rust Debug name of the kind (e.g. "CreateSnapshot"), as
	// 0.35.1 printed it.
	Kind             string  `json:"kind"`
	TargetCanisterID *string `json:"target_canister_id"`
	// Outcome is "completed" or "failed".
	Outcome string `json:"outcome"`
}

// Outcomes of an ExecutedOperation.
const (
	OutcomeCompleted = "completed"
	OutcomeFailed    = "failed"
)
