// Package memexec is an in-memory runner.Executor for tests: it keeps
// canister run states and snapshot ids in memory, writes a small fake
// snapshot tree on download, records every call, and fails on demand.
//
// Its preflight receipts and artifact trees are those of canic-backup
// 0.35.1's golden run, so a plan run through memexec reproduces the golden
// checksums.
package memexec

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/runner"
)

// Executor is an in-memory runner.Executor. The zero value is not usable;
// call New.
type Executor struct {
	mu        sync.Mutex
	calls     []string
	stopped   map[string]bool
	snapshots map[string][]string
	failures  map[string][]error
	snapIDs   map[string]string
	// hashAtPreflight, when set, replaces the live topology hash reported
	// by Preflight (to simulate drift).
	hashAtPreflight string
}

var _ runner.Executor = (*Executor)(nil)

// New returns an Executor whose canisters are all running.
func New() *Executor {
	return &Executor{
		stopped:   map[string]bool{},
		snapshots: map[string][]string{},
		failures:  map[string][]error{},
		snapIDs:   map[string]string{},
	}
}

// FailNext makes the next call named call fail with err. Calls are named as
// Calls reports them: "preflight", "stop:<id>", "start:<id>",
// "snapshot:<id>", "download:<id>". Several failures queue up.
func (e *Executor) FailNext(call string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.failures[call] = append(e.failures[call], err)
}

// SetSnapshotID fixes the snapshot id CreateSnapshot returns for canisterID.
func (e *Executor) SetSnapshotID(canisterID, snapshotID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.snapIDs[canisterID] = snapshotID
}

// AddSnapshot records an existing snapshot of canisterID (taken before
// this executor existed, e.g. by an earlier process) so it can be
// downloaded.
func (e *Executor) AddSnapshot(canisterID, snapshotID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.snapshots[canisterID] = append(e.snapshots[canisterID], snapshotID)
}

// SetStopped marks canisterID stopped without recording a call (a canister
// a previous process left stopped).
func (e *Executor) SetStopped(canisterID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopped[canisterID] = true
}

// SetTopologyHashAtPreflight makes Preflight report hash as the live
// topology hash instead of the plan's.
func (e *Executor) SetTopologyHashAtPreflight(hash string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.hashAtPreflight = hash
}

// Calls returns every call made so far, in order (failed calls included).
func (e *Executor) Calls() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.calls...)
}

// Stopped returns the canisters currently stopped, sorted.
func (e *Executor) Stopped() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for id, s := range e.stopped {
		if s {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// CanisterRunStatus returns canisterID's run status, "running" or
// "stopped" (runner.StatusReader).
func (e *Executor) CanisterRunStatus(ctx context.Context, canisterID string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.call(ctx, "status:"+canisterID); err != nil {
		return "", err
	}
	if e.stopped[canisterID] {
		return "stopped", nil
	}
	return "running", nil
}

// Snapshots returns the snapshot ids taken of canisterID, oldest first.
func (e *Executor) Snapshots(canisterID string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.snapshots[canisterID]...)
}

// call records name and returns the queued failure for it, if any.
func (e *Executor) call(ctx context.Context, name string) error {
	e.calls = append(e.calls, name)
	if err := ctx.Err(); err != nil {
		return err
	}
	if q := e.failures[name]; len(q) > 0 {
		e.failures[name] = q[1:]
		return q[0]
	}
	return nil
}

// Preflight returns the receipts 0.35.1's ICP executor produces: the plan's
// topology, operator-controller/proven control and snapshot-read authority
// for every target, and the plan's quiescence policy accepted.
func (e *Executor) Preflight(ctx context.Context, req runner.PreflightRequest) (plan.BackupExecutionPreflightReceipts, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, t := range req.Plan.Targets {
		if err := e.call(ctx, "status:"+t.CanisterID); err != nil {
			return plan.BackupExecutionPreflightReceipts{}, err
		}
	}
	if err := e.call(ctx, "preflight"); err != nil {
		return plan.BackupExecutionPreflightReceipts{}, err
	}
	live := req.Plan.TopologyHashBeforeQuiesce
	if e.hashAtPreflight != "" {
		live = e.hashAtPreflight
	}
	return runner.OperatorReceipts(req, live), nil
}

// StopCanister marks canisterID stopped.
func (e *Executor) StopCanister(ctx context.Context, canisterID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.call(ctx, "stop:"+canisterID); err != nil {
		return err
	}
	e.stopped[canisterID] = true
	return nil
}

// StartCanister marks canisterID running.
func (e *Executor) StartCanister(ctx context.Context, canisterID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.call(ctx, "start:"+canisterID); err != nil {
		return err
	}
	e.stopped[canisterID] = false
	return nil
}

// CreateSnapshot records a snapshot of canisterID. Like the IC, it refuses a
// running canister (the runner must stop canisters first).
func (e *Executor) CreateSnapshot(ctx context.Context, canisterID string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.call(ctx, "snapshot:"+canisterID); err != nil {
		return "", err
	}
	if !e.stopped[canisterID] {
		return "", &runner.CommandError{Status: "memexec", Message: "canister is not stopped: " + canisterID}
	}
	id := e.snapIDs[canisterID]
	if id == "" || len(e.snapshots[canisterID]) > 0 {
		id = fmt.Sprintf("snap-%s-%d", canisterID, len(e.snapshots[canisterID]))
	}
	e.snapshots[canisterID] = append(e.snapshots[canisterID], id)
	return id, nil
}

// DownloadSnapshot writes the fake snapshot tree of canisterID into tempDir:
// metadata.json, wasm_module.bin, memory/heap.bin and memory/stable.bin, as
// in the 0.35.1 golden artifacts.
func (e *Executor) DownloadSnapshot(ctx context.Context, canisterID, snapshotID, tempDir string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.call(ctx, "download:"+canisterID+":"+snapshotID); err != nil {
		return err
	}
	known := false
	for _, s := range e.snapshots[canisterID] {
		known = known || s == snapshotID
	}
	if !known {
		return &runner.CommandError{Status: "memexec", Message: "unknown snapshot " + snapshotID + " of " + canisterID}
	}
	total := ArtifactSize(canisterID)
	runner.ReportDownloadProgress(ctx, 0, total)
	if err := WriteArtifact(tempDir, canisterID); err != nil {
		return err
	}
	runner.ReportDownloadProgress(ctx, total, total)
	return nil
}

// ArtifactSize is the number of bytes WriteArtifact writes for canisterID
// (the total DownloadSnapshot reports as download progress).
func ArtifactSize(canisterID string) uint64 {
	var n uint64
	for _, body := range artifactFiles(canisterID) {
		n += uint64(len(body))
	}
	return n
}

func artifactFiles(canisterID string) map[string]string {
	return map[string]string{
		"metadata.json":     `{"canister":"` + canisterID + `"}` + "\n",
		"wasm_module.bin":   "wasm:" + canisterID,
		"memory/heap.bin":   "heap:" + canisterID,
		"memory/stable.bin": "stable:" + canisterID,
	}
}

// WriteArtifact writes the fake snapshot tree of canisterID into dir.
func WriteArtifact(dir, canisterID string) error {
	for rel, body := range artifactFiles(canisterID) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}
