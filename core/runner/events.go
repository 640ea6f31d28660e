package runner

import (
	"context"
	"time"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/plan"
)

// EventType names what an Event reports.
type EventType string

// Event types, in the order a run emits them.
const (
	// EventRunStarted: the run holds the lock and read the plan; Targets
	// and TotalOperations describe the whole fleet.
	EventRunStarted EventType = "run_started"
	// EventOperationStarted: an operation is about to execute.
	EventOperationStarted EventType = "operation_started"
	// EventDownloadProgress: bytes of a snapshot download, as the
	// executor reported them (see ReportDownloadProgress).
	EventDownloadProgress EventType = "download_progress"
	// EventOperationFinished: an operation completed or failed (Outcome).
	EventOperationFinished EventType = "operation_finished"
	// EventCanisterRestarted: compensation or recovery started a canister
	// the journal recorded as stopped.
	EventCanisterRestarted EventType = "canister_restarted"
	// EventRunFinished: the run returned (Err is its error, if any).
	EventRunFinished EventType = "run_finished"
)

// Event is one thing a run did, for progress views and logs. Fields that
// do not apply to Type are zero.
type Event struct {
	Type EventType
	// Time is when it happened, from Config.Clock.
	Time   time.Time
	PlanID string
	RunID  string
	// Targets are the plan's target canisters (EventRunStarted).
	Targets []string
	// TotalOperations and CompletedOperations count the whole journal
	// (completed or skipped), after the event.
	TotalOperations     int
	CompletedOperations int
	Sequence            uint64
	OperationID         string
	// Kind is the operation's phase (stop, create-snapshot, ...).
	Kind plan.BackupOperationKind
	// Target is the operation's target canister ("" for fleet-wide ones).
	Target string
	// Outcome is OutcomeCompleted or OutcomeFailed (EventOperationFinished).
	Outcome string
	// BytesDone and BytesTotal report a download (EventDownloadProgress;
	// BytesTotal is 0 when unknown).
	BytesDone  uint64
	BytesTotal uint64
	// Err is the failure of an operation or of the run.
	Err error
}

// Observer receives a run's events synchronously, in order, from the
// goroutine that runs the backup (download progress may arrive from the
// executor's goroutine, serialized with the others). It must return
// quickly and must not call back into the run.
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

// DownloadProgressFunc receives the bytes of a download in progress.
type DownloadProgressFunc func(done, total uint64)

type downloadProgressKey struct{}

// ReportDownloadProgress tells the run observing ctx how many bytes of the
// current snapshot download are done (total 0 when unknown). Executors
// call it from DownloadSnapshot; it does nothing when nobody observes.
func ReportDownloadProgress(ctx context.Context, done, total uint64) {
	if f, ok := ctx.Value(downloadProgressKey{}).(DownloadProgressFunc); ok && f != nil {
		f(done, total)
	}
}

// WithDownloadProgress returns ctx carrying f for ReportDownloadProgress.
func WithDownloadProgress(ctx context.Context, f DownloadProgressFunc) context.Context {
	return context.WithValue(ctx, downloadProgressKey{}, f)
}

// emit sends e to the configured observer, filling the run's identity and
// counts. It is nil-safe.
func (r *run) emit(e Event) {
	if r.cfg.Observer == nil {
		return
	}
	e.Time = r.cfg.now()
	if r.plan != nil {
		e.PlanID, e.RunID = r.plan.PlanID, r.plan.RunID
	}
	if r.journal != nil {
		e.TotalOperations, e.CompletedOperations = journalCounts(r.journal)
	}
	r.deliver(e)
}

// deliver sends a filled-in e to the observer, one event at a time.
func (r *run) deliver(e Event) {
	r.observeMu.Lock()
	defer r.observeMu.Unlock()
	r.cfg.Observer.Observe(e)
}

// emitOperation emits an operation event of op.
func (r *run) emitOperation(t EventType, seq uint64, id string, kind plan.BackupOperationKind, target *string, outcome string, err error) {
	r.emit(Event{Type: t, Sequence: seq, OperationID: id, Kind: kind, Target: deref(target), Outcome: outcome, Err: err})
}

func (r *run) targets() []string {
	out := make([]string, 0, len(r.plan.Targets))
	for _, t := range r.plan.Targets {
		out = append(out, t.CanisterID)
	}
	return out
}

// journalCounts returns the journal's operation count and how many are
// done (completed or skipped).
func journalCounts(j *journal.BackupExecutionJournal) (total, done int) {
	s := j.ResumeSummary()
	return int(s.TotalOperations), int(s.CompletedOperations + s.SkippedOperations)
}

// downloadObserver returns the DownloadProgressFunc of op's download. It
// reads the journal, so it must be called on the run goroutine (prepare);
// the function it returns reads nothing the run mutates, so an executor
// may call it from any goroutine.
func (r *run) downloadObserver(op *journal.BackupExecutionJournalOperation, target string) DownloadProgressFunc {
	total, done := journalCounts(r.journal)
	base := Event{
		Type: EventDownloadProgress, PlanID: r.plan.PlanID, RunID: r.plan.RunID,
		TotalOperations: total, CompletedOperations: done,
		Sequence: op.Sequence, OperationID: op.OperationID, Kind: op.Kind, Target: target,
	}
	return func(bytesDone, bytesTotal uint64) {
		e := base
		e.Time = r.cfg.now()
		e.BytesDone, e.BytesTotal = bytesDone, bytesTotal
		r.deliver(e)
	}
}
