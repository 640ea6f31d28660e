package pluginapi

import "context"

// Executor performs every operation against the Internet Computer on the
// engine's behalf. Plugins implement it and hand it to Serve; the host gets
// one from NewClient.
//
// Every method honours ctx: when it is cancelled (Ctrl-C, timeout) the
// implementation must stop promptly, end any child process it started, and
// return an error that wraps ctx.Err(). Failures that the engine must be
// able to classify are returned as *Error with a Code.
type Executor interface {
	// Info reports the executor's name, version, protocol version and
	// capabilities.
	Info(ctx context.Context) (Info, error)
	// Preflight gathers controller and status evidence for a plan's targets.
	// A failure to inspect one target is reported in that target's Err, not
	// as the method's error.
	Preflight(ctx context.Context, req PreflightRequest) (PreflightReport, error)
	// QueryRegistry returns the canic_subnet_registry entries of root.
	QueryRegistry(ctx context.Context, network, root string) ([]RegistryEntry, error)
	// CanisterStatus reports a canister's run status and controllers.
	CanisterStatus(ctx context.Context, t Target) (CanisterStatus, error)
	// StopCanister stops a canister and returns once it is stopped.
	StopCanister(ctx context.Context, t Target) error
	// StartCanister starts a canister.
	StartCanister(ctx context.Context, t Target) error
	// CreateSnapshot takes a snapshot of a stopped canister; a running one
	// fails with CodeNotStopped.
	CreateSnapshot(ctx context.Context, t Target) (SnapshotInfo, error)
	// ListSnapshots lists a canister's snapshots, oldest first.
	ListSnapshots(ctx context.Context, t Target) ([]SnapshotInfo, error)
	// DeleteSnapshot deletes one snapshot; an unknown id fails with
	// CodeNotFound.
	DeleteSnapshot(ctx context.Context, t Target, snapshotID string) error
	// DownloadSnapshot writes the snapshot into dir (the icp directory
	// layout: metadata.json, wasm_module.bin, wasm_memory.bin,
	// stable_memory.bin, wasm_chunk_store/<hash>.bin), keeping what dir
	// already holds from an interrupted download and fetching only the rest.
	// progress, when non-nil, is called with bytes done and total as the
	// download advances; it is called from the calling goroutine.
	DownloadSnapshot(ctx context.Context, t Target, snapshotID, dir string, progress ProgressFunc) (TransferResult, error)
	// UploadSnapshot uploads dir as a new snapshot of t and returns its id in
	// TransferResult.SnapshotID.
	UploadSnapshot(ctx context.Context, t Target, dir string, progress ProgressFunc) (TransferResult, error)
	// LoadSnapshot restores a stopped canister from one of its snapshots.
	LoadSnapshot(ctx context.Context, t Target, snapshotID string) error
}

// ProgressFunc receives transfer progress. It must not block for long.
type ProgressFunc func(Progress)
