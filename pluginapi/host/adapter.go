package host

import (
	"context"
	"fmt"

	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/registry"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/topology"
	"github.com/canic-backup/canic-backup/pluginapi"
)

// Adapter is the one host-side adapter of a pluginapi.Executor. Its own
// methods serve a backup run (runner.Executor, runner.StatusReader,
// runner.SnapshotLister), with failures rendered by RunnerError; Restore
// returns the same adapter's view for a restore run, with failures
// rendered by RestoreError. Both render the one Classify. (The two views
// exist because core's two engines share method names, StopCanister for
// one, whose errors they read as different types.)
type Adapter struct {
	exec    pluginapi.Executor
	name    string
	network string
}

var (
	_ runner.Executor       = (*Adapter)(nil)
	_ runner.StatusReader   = (*Adapter)(nil)
	_ runner.SnapshotLister = (*Adapter)(nil)
)

// New adapts ex, named name (the config's executor name, for messages),
// acting on network.
func New(ex pluginapi.Executor, name, network string) *Adapter {
	return &Adapter{exec: ex, name: name, network: network}
}

func (a *Adapter) target(id string) pluginapi.Target {
	return pluginapi.Target{Network: a.network, CanisterID: id}
}

// Preflight implements runner.Executor: it re-reads the registry, hashes it
// as planning did, and checks every target's status and balance, as
// 0.35.1's ICP executor did. The registry read and the status reads are
// independent and run together. The statuses come from the plugin's
// Preflight RPC when it advertises CapabilityPreflight and reports every
// target's full status; otherwise (an older plugin, or its Preflight
// failed) the host reads them itself with the same
// pluginapi.PreflightByStatus, so every plugin is checked the same way.
func (a *Adapter) Preflight(ctx context.Context, req runner.PreflightRequest) (pbundle plan.BackupExecutionPreflightReceipts, err error) {
	statusErr := make(chan error, 1)
	go func() { statusErr <- a.checkTargets(ctx, &req.Plan) }()
	entries, err := a.exec.QueryRegistry(ctx, req.Plan.Network, req.Plan.RootCanisterID)
	serr := <-statusErr
	if err != nil {
		return pbundle, &runner.CommandError{Status: "preflight", Message: "query registry: " + err.Error()}
	}
	hash, err := topology.HashRegistry(RegistryEntries(entries))
	if err != nil {
		return pbundle, &runner.CommandError{Status: "preflight", Message: err.Error()}
	}
	if serr != nil {
		return pbundle, serr
	}
	return runner.OperatorReceipts(req, hash.Hash), nil
}

// checkTargets reads every target's status (preflightReport); the first
// target that cannot be read, in plan order, is the failure. Then every
// target's balance must cover its backup (BackupCyclesShort): the
// canisters that cannot pay are all named in one "cycles" failure, before
// anything is stopped.
func (a *Adapter) checkTargets(ctx context.Context, p *plan.BackupPlan) error {
	rep, err := a.preflightReport(ctx, p)
	if err != nil {
		return err
	}
	var short []CyclesShort
	for _, t := range rep.Targets {
		if t.Err != nil {
			return RunnerError(t.Err)
		}
	}
	for _, t := range rep.Targets {
		if s := BackupCyclesShort(t.CanisterID, *t.Detail); s != nil {
			short = append(short, *s)
		}
	}
	if len(short) > 0 {
		return CyclesPreflightError("backup", a.network, short)
	}
	return nil
}

// preflightReport is the plugin's Preflight report of p's targets when it
// serves one with every target's full status, else the host's own
// (pluginapi.PreflightByStatus over CanisterStatus).
func (a *Adapter) preflightReport(ctx context.Context, p *plan.BackupPlan) (pluginapi.PreflightReport, error) {
	req := pluginapi.PreflightRequest{Network: a.network, Root: p.RootCanisterID, CanisterIDs: make([]string, len(p.Targets))}
	for i, t := range p.Targets {
		req.CanisterIDs[i] = t.CanisterID
	}
	if info, err := a.exec.Info(ctx); err == nil && info.Has(pluginapi.CapabilityPreflight) {
		rep, err := a.exec.Preflight(ctx, req)
		if err == nil && complete(rep, req.CanisterIDs) {
			return rep, nil
		}
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
	}
	rep, err := pluginapi.PreflightByStatus(ctx, req, "", a.exec.CanisterStatus)
	if err != nil && ctx.Err() != nil {
		return rep, ctx.Err()
	}
	return rep, err
}

// complete reports whether rep answers ids in order, each with its full
// status or its error (a plugin built before PreflightTarget.Detail
// existed sends no status detail).
func complete(rep pluginapi.PreflightReport, ids []string) bool {
	if len(rep.Targets) != len(ids) {
		return false
	}
	for i, t := range rep.Targets {
		if t.CanisterID != ids[i] || (t.Err == nil && t.Detail == nil) {
			return false
		}
	}
	return true
}

// RegistryEntries converts a plugin's registry records to core's.
func RegistryEntries(entries []pluginapi.RegistryEntry) []registry.Entry {
	out := make([]registry.Entry, 0, len(entries))
	for _, e := range entries {
		out = append(out, registry.Entry{
			Pid: e.PID, Role: optional(e.Role), ParentPid: optional(e.ParentPID), ModuleHash: optional(e.ModuleHash),
		})
	}
	return out
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CanisterRunStatus implements runner.StatusReader: a stop or start whose
// outcome is unknown is settled from the canister's status, and `backup
// recover` reads the truth from the canisters.
func (a *Adapter) CanisterRunStatus(ctx context.Context, id string) (string, error) {
	st, err := a.exec.CanisterStatus(ctx, a.target(id))
	if err != nil {
		return "", RunnerError(err)
	}
	return string(st.Status), nil
}

// StopCanister implements runner.Executor.
func (a *Adapter) StopCanister(ctx context.Context, id string) error {
	return RunnerError(a.exec.StopCanister(ctx, a.target(id)))
}

// StartCanister implements runner.Executor.
func (a *Adapter) StartCanister(ctx context.Context, id string) error {
	return RunnerError(a.exec.StartCanister(ctx, a.target(id)))
}

// CreateSnapshot implements runner.Executor.
func (a *Adapter) CreateSnapshot(ctx context.Context, id string) (string, error) {
	info, err := a.exec.CreateSnapshot(ctx, a.target(id))
	if err != nil {
		return "", RunnerError(err)
	}
	return info.ID, nil
}

// ListSnapshots implements runner.SnapshotLister, so a snapshot taken by a
// run that crashed before recording it is found again on resume.
func (a *Adapter) ListSnapshots(ctx context.Context, id string) ([]string, error) {
	ids, err := a.snapshotIDs(ctx, id)
	return ids, RunnerError(err)
}

func (a *Adapter) snapshotIDs(ctx context.Context, id string) ([]string, error) {
	infos, err := a.exec.ListSnapshots(ctx, a.target(id))
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(infos))
	for i, s := range infos {
		ids[i] = s.ID
	}
	return ids, nil
}

// DownloadSnapshot implements runner.Executor: the plugin's progress goes
// to the run's observer, and the file digests the plugin computed while
// writing go to the run, which then need not read the artifact to
// checksum it.
func (a *Adapter) DownloadSnapshot(ctx context.Context, id, snapshotID, dir string) error {
	res, err := a.exec.DownloadSnapshot(ctx, a.target(id), snapshotID, dir, func(pr pluginapi.Progress) {
		runner.ReportDownloadProgress(ctx, pr.BytesDone, pr.BytesTotal)
	})
	if err != nil {
		return RunnerError(err)
	}
	for _, f := range res.Files {
		runner.ReportFileChecksum(ctx, f.Path, f.SHA256, int64(f.Size))
	}
	return nil
}

// Restorer is an Adapter seen by a restore run: restore.RestoreExecutor,
// restore.SnapshotCleaner and restore.Previewer, with failures rendered by
// RestoreError.
type Restorer struct{ a *Adapter }

var (
	_ restore.RestoreExecutor = Restorer{}
	_ restore.SnapshotCleaner = Restorer{}
)

// Restore returns a's restore view.
func (a *Adapter) Restore() Restorer { return Restorer{a: a} }

// CommandPreview implements restore.Previewer: the icp-shaped rendering of
// the call, with the executor's name as the program.
func (r Restorer) CommandPreview(op restore.CommandOp) restore.Argv {
	return restore.IcpPreview{Program: r.a.name, Network: r.a.network}.Render(op)
}

// UploadSnapshot implements restore.RestoreExecutor.
func (r Restorer) UploadSnapshot(ctx context.Context, target, dir string) (string, error) {
	res, err := r.a.exec.UploadSnapshot(ctx, r.a.target(target), dir, nil)
	if err != nil {
		return "", RestoreError(err)
	}
	if res.SnapshotID == "" {
		return "", &restore.CommandError{Status: string(pluginapi.CodeInternal),
			Err: fmt.Errorf("executor %q: upload to %s returned no snapshot id", r.a.name, target)}
	}
	return res.SnapshotID, nil
}

// ListSnapshots implements restore.SnapshotCleaner.
func (r Restorer) ListSnapshots(ctx context.Context, target string) ([]string, error) {
	ids, err := r.a.snapshotIDs(ctx, target)
	return ids, RestoreError(err)
}

// DeleteSnapshot implements restore.SnapshotCleaner.
func (r Restorer) DeleteSnapshot(ctx context.Context, target, snapshotID string) error {
	return RestoreError(r.a.exec.DeleteSnapshot(ctx, r.a.target(target), snapshotID))
}

// StopCanister implements restore.RestoreExecutor.
func (r Restorer) StopCanister(ctx context.Context, target string) error {
	return RestoreError(r.a.exec.StopCanister(ctx, r.a.target(target)))
}

// StartCanister implements restore.RestoreExecutor.
func (r Restorer) StartCanister(ctx context.Context, target string) error {
	return RestoreError(r.a.exec.StartCanister(ctx, r.a.target(target)))
}

// LoadSnapshot implements restore.RestoreExecutor.
func (r Restorer) LoadSnapshot(ctx context.Context, target, snapshotID string) error {
	return RestoreError(r.a.exec.LoadSnapshot(ctx, r.a.target(target), snapshotID))
}

// CanisterStatus implements restore.RestoreExecutor.
func (r Restorer) CanisterStatus(ctx context.Context, target string) (string, string, error) {
	st, err := r.a.exec.CanisterStatus(ctx, r.a.target(target))
	if err != nil {
		return "", "", RestoreError(err)
	}
	return string(st.Status), st.ModuleHash, nil
}

// FullStatus implements CyclesStatusReader: a target's full status, with
// its balance, unclassified.
func (r Restorer) FullStatus(ctx context.Context, target string) (pluginapi.CanisterStatus, error) {
	return r.a.exec.CanisterStatus(ctx, r.a.target(target))
}
