package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"

	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/topology"
	"github.com/canic-backup/canic-backup/pluginapi"
)

// executorSpec says which executor `backup run` drives.
type executorSpec struct {
	// Plugin is the executor plugin binary.
	Plugin string
	// SHA256 pins the plugin binary's digest when set.
	SHA256 string
	// Network is the plan's network.
	Network string
}

// openExecutor starts the executor of spec and returns it with its closer.
type openExecutor func(ctx context.Context, spec executorSpec) (runner.Executor, func() error, error)

// openPlugin launches spec.Plugin through pluginapi and adapts it.
func openPlugin(ctx context.Context, spec executorSpec) (runner.Executor, func() error, error) {
	client, err := pluginapi.NewClient(pluginapi.ClientConfig{
		Name:   "plugin",
		Cmd:    exec.Command(spec.Plugin),
		SHA256: spec.SHA256,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("executor plugin %s: %w", spec.Plugin, err)
	}
	if err := client.Start(ctx); err != nil {
		_ = client.Close()
		return nil, nil, fmt.Errorf("executor plugin %s: %w", spec.Plugin, err)
	}
	return &pluginExecutor{exec: client, network: spec.Network}, client.Close, nil
}

// pluginExecutor adapts a pluginapi.Executor to runner.Executor. Preflight
// re-reads the registry, hashes it as planning did, and checks every
// target's status, as 0.35.1's ICP executor did.
type pluginExecutor struct {
	exec    pluginapi.Executor
	network string
}

func (p *pluginExecutor) target(id string) pluginapi.Target {
	return pluginapi.Target{Network: p.network, CanisterID: id}
}

// commandError classifies a plugin error for the journal: status is the
// plugin error code ("not-stopped", "transient", ...) or "plugin".
func commandError(err error) error {
	if err == nil {
		return nil
	}
	status := string(pluginapi.CodeOf(err))
	if status == "" {
		status = "plugin"
	}
	return &runner.CommandError{Status: status, Message: commandMessage(err)}
}

// commandMessage is err's text without the code the status already
// carries: a bare *pluginapi.Error renders "executor "x": MESSAGE" rather
// than "CODE: ...", so a journal or error line reads
// "failed: transient: executor "x": ..." with the code once.
func commandMessage(err error) string {
	var pe *pluginapi.Error
	if errors.As(err, &pe) && error(pe) == err {
		if pe.Executor != "" {
			return fmt.Sprintf("executor %q: %s", pe.Executor, pe.Message)
		}
		return pe.Message
	}
	return err.Error()
}

// Preflight implements runner.Executor. The registry read and the status
// checks are independent reads and run together.
func (p *pluginExecutor) Preflight(ctx context.Context, req runner.PreflightRequest) (pbundle plan.BackupExecutionPreflightReceipts, err error) {
	statusErr := make(chan error, 1)
	go func() { statusErr <- p.statusAll(ctx, req.Plan.Targets) }()
	entries, err := p.exec.QueryRegistry(ctx, req.Plan.Network, req.Plan.RootCanisterID)
	serr := <-statusErr
	if err != nil {
		return pbundle, &runner.CommandError{Status: "preflight", Message: "query registry: " + err.Error()}
	}
	hash, err := topology.HashRegistry(registryEntries(entries))
	if err != nil {
		return pbundle, &runner.CommandError{Status: "preflight", Message: err.Error()}
	}
	if serr != nil {
		return pbundle, serr
	}
	return runner.OperatorReceipts(req, hash.Hash), nil
}

// preflightWidth bounds the status calls of a preflight in flight.
const preflightWidth = 8

// statusAll checks every target's status, up to preflightWidth at once
// (each is an update call, seconds on a busy subnet); the first failure in
// plan order is returned. Then every target's balance must cover its
// backup (backupCyclesShort): the canisters that cannot pay are all named
// in one "cycles" failure, before anything is stopped.
func (p *pluginExecutor) statusAll(ctx context.Context, targets []plan.BackupTarget) error {
	errs := make([]error, len(targets))
	shorts := make([]*cyclesShort, len(targets))
	sem := make(chan struct{}, preflightWidth)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			st, err := p.exec.CanisterStatus(ctx, p.target(t.CanisterID))
			if err != nil {
				errs[i] = commandError(err)
				return
			}
			shorts[i] = backupCyclesShort(t.CanisterID, st)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	var short []cyclesShort
	for _, s := range shorts {
		if s != nil {
			short = append(short, *s)
		}
	}
	if len(short) > 0 {
		return cyclesPreflightError("backup", p.network, short)
	}
	return nil
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
func (p *pluginExecutor) CanisterRunStatus(ctx context.Context, id string) (string, error) {
	st, err := p.exec.CanisterStatus(ctx, p.target(id))
	if err != nil {
		return "", commandError(err)
	}
	return string(st.Status), nil
}

// StopCanister implements runner.Executor.
func (p *pluginExecutor) StopCanister(ctx context.Context, id string) error {
	return commandError(p.exec.StopCanister(ctx, p.target(id)))
}

// StartCanister implements runner.Executor.
func (p *pluginExecutor) StartCanister(ctx context.Context, id string) error {
	return commandError(p.exec.StartCanister(ctx, p.target(id)))
}

// CreateSnapshot implements runner.Executor.
func (p *pluginExecutor) CreateSnapshot(ctx context.Context, id string) (string, error) {
	info, err := p.exec.CreateSnapshot(ctx, p.target(id))
	if err != nil {
		return "", commandError(err)
	}
	return info.ID, nil
}

// ListSnapshots implements runner.SnapshotLister, so a snapshot taken by a
// run that crashed before recording it is found again on resume.
func (p *pluginExecutor) ListSnapshots(ctx context.Context, id string) ([]string, error) {
	infos, err := p.exec.ListSnapshots(ctx, p.target(id))
	if err != nil {
		return nil, commandError(err)
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
func (p *pluginExecutor) DownloadSnapshot(ctx context.Context, id, snapshotID, dir string) error {
	res, err := p.exec.DownloadSnapshot(ctx, p.target(id), snapshotID, dir, func(pr pluginapi.Progress) {
		runner.ReportDownloadProgress(ctx, pr.BytesDone, pr.BytesTotal)
	})
	if err != nil {
		return commandError(err)
	}
	for _, f := range res.Files {
		runner.ReportFileChecksum(ctx, f.Path, f.SHA256, int64(f.Size))
	}
	return nil
}
