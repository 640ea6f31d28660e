package restore

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// RestoreExecutor performs restore operations against a target environment
// (a local simulator, the IC through an agent, a dfx/icp process, or a
// plugin). Every call honours ctx. An error that is (errors.As) a
// *CommandError is a definite failure: the operation is marked failed. Any
// other error means the outcome is unknown (the executor died, the
// connection dropped, ctx was cancelled): the operation stays pending in
// the journal so an operator can resume (--unclaim-pending, then --execute)
// once the executor is back.
type RestoreExecutor interface {
	Previewer
	// UploadSnapshot uploads the snapshot artifact at dir to target and
	// returns the snapshot id the target assigned.
	UploadSnapshot(ctx context.Context, target, dir string) (snapshotID string, err error)
	// StopCanister stops target.
	StopCanister(ctx context.Context, target string) error
	// StartCanister starts target.
	StartCanister(ctx context.Context, target string) error
	// LoadSnapshot loads the uploaded snapshot snapshotID into target.
	LoadSnapshot(ctx context.Context, target, snapshotID string) error
	// CanisterStatus returns target's status ("running", "stopping",
	// "stopped") and its module hash (lower-case hex, "" when none).
	CanisterStatus(ctx context.Context, target string) (status, moduleHash string, err error)
}

// Canister statuses reported by CanisterStatus.
const (
	StatusRunning  = "running"
	StatusStopping = "stopping"
	StatusStopped  = "stopped"
)

// CommandError is a definite failure reported by an executor: the command
// ran and failed (for a process, a non-zero exit). Status is the label
// recorded in the journal (an exit code such as "1", or "signal").
type CommandError struct {
	// Status is the status label, e.g. "1".
	Status string
	// Err is the cause.
	Err error
}

// Error describes the failure.
func (e *CommandError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("command failed with status %s", e.Status)
	}
	return fmt.Sprintf("command failed with status %s: %v", e.Status, e.Err)
}

// Unwrap returns the cause.
func (e *CommandError) Unwrap() error { return e.Err }

// Transcript is what an executor may report about one call beyond its
// structured result: the status label and the raw output streams. The
// runner keeps their tails in the journal's receipts.
type Transcript struct {
	// Status is the status label ("0" when empty and the call succeeded).
	Status string
	// Stdout and Stderr are the raw output.
	Stdout, Stderr []byte
}

type transcriptKey struct{}

type transcriptSink struct {
	mu sync.Mutex
	t  Transcript
}

// RecordTranscript lets an executor report the transcript of the call
// running under ctx; it does nothing when the caller did not ask for one.
func RecordTranscript(ctx context.Context, t Transcript) {
	if s, ok := ctx.Value(transcriptKey{}).(*transcriptSink); ok {
		s.mu.Lock()
		s.t = Transcript{Status: t.Status, Stdout: append([]byte(nil), t.Stdout...), Stderr: append([]byte(nil), t.Stderr...)}
		s.mu.Unlock()
	}
}

// withTranscript returns a context whose calls may record a transcript.
func withTranscript(ctx context.Context) (context.Context, *transcriptSink) {
	s := &transcriptSink{}
	return context.WithValue(ctx, transcriptKey{}, s), s
}

func (s *transcriptSink) get() Transcript {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t
}

// definite reports whether err is a definite command failure and its label.
func definite(err error) (string, bool) {
	var ce *CommandError
	if errors.As(err, &ce) {
		if ce.Status == "" {
			return "error", true
		}
		return ce.Status, true
	}
	return "", false
}

// ExecutorMessage is what an executor said about a failed call: the cause
// of a *CommandError, else the error itself.
func ExecutorMessage(err error) string {
	var ce *CommandError
	if errors.As(err, &ce) && ce.Err != nil {
		return ce.Err.Error()
	}
	return err.Error()
}
