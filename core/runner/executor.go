package runner

import (
	"context"
	"fmt"

	"github.com/canic-backup/canic-backup/core/plan"
)

// Executor performs the side effects of a backup run: everything that talks
// to the Internet Computer. The runner does the rest (journals, checksums,
// finalization) locally. Every method must honour ctx and return promptly
// when it is cancelled.
//
// Methods should be idempotent where the IC allows it: the runner executes
// operations at least once, so after a crash an operation may be repeated.
type Executor interface {
	// Preflight checks that the plan can run now (topology unchanged, control
	// and snapshot-read authority proven, quiescence accepted) and returns the
	// receipts that prove it.
	Preflight(ctx context.Context, req PreflightRequest) (plan.BackupExecutionPreflightReceipts, error)
	// StopCanister stops one canister. Stopping a stopped canister succeeds.
	StopCanister(ctx context.Context, canisterID string) error
	// StartCanister starts one canister. Starting a running canister succeeds.
	StartCanister(ctx context.Context, canisterID string) error
	// CreateSnapshot takes a snapshot of a (stopped) canister and returns its
	// snapshot id.
	CreateSnapshot(ctx context.Context, canisterID string) (snapshotID string, err error)
	// DownloadSnapshot writes the snapshot's contents into tempDir, an empty
	// directory the runner created under the backup directory.
	DownloadSnapshot(ctx context.Context, canisterID, snapshotID, tempDir string) error
}

// PreflightRequest is what the runner asks an Executor to prove.
type PreflightRequest struct {
	// Plan is the plan as persisted (authorities may still be declared).
	Plan plan.BackupPlan
	// PreflightID is "preflight-<run_id>".
	PreflightID string
	// ValidatedAt and ExpiresAt bound the receipts' validity window
	// (timestamp markers, "unix:<seconds>"; ExpiresAt = ValidatedAt + 300 s).
	ValidatedAt string
	ExpiresAt   string
}

// CommandError is the error an Executor returns for a failed IC command: a
// short status naming the failing layer (for example "icp", "preflight",
// "agent") and a message. Executors may return any error; the runner reports
// other errors with status "executor".
type CommandError struct {
	Status  string
	Message string
}

// Error renders 0.35.1's BackupRunnerCommandError text: "<status>: <message>".
func (e *CommandError) Error() string { return fmt.Sprintf("%s: %s", e.Status, e.Message) }
