package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/runner/memexec"
	"github.com/canic-backup/canic-backup/pluginapi"
)

// fakePlugin is an in-process pluginapi.Executor over memexec; methods the
// adapter must not call are left to the nil embedded interface (panic).
type fakePlugin struct {
	pluginapi.Executor
	mem      *memexec.Executor
	registry []pluginapi.RegistryEntry

	mu       sync.Mutex // preflight checks statuses concurrently
	networks []string
}

func (f *fakePlugin) sawNetwork(n string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.networks = append(f.networks, n)
}

func (f *fakePlugin) QueryRegistry(_ context.Context, network, root string) ([]pluginapi.RegistryEntry, error) {
	f.sawNetwork(network)
	if root != demoRoot {
		return nil, pluginapi.Errorf(pluginapi.CodeNotFound, "no root %s", root)
	}
	return f.registry, nil
}

func (f *fakePlugin) CanisterStatus(_ context.Context, t pluginapi.Target) (pluginapi.CanisterStatus, error) {
	f.sawNetwork(t.Network)
	return pluginapi.CanisterStatus{Status: "running"}, nil
}

func (f *fakePlugin) StopCanister(ctx context.Context, t pluginapi.Target) error {
	return f.mem.StopCanister(ctx, t.CanisterID)
}

func (f *fakePlugin) StartCanister(ctx context.Context, t pluginapi.Target) error {
	return f.mem.StartCanister(ctx, t.CanisterID)
}

func (f *fakePlugin) CreateSnapshot(ctx context.Context, t pluginapi.Target) (pluginapi.SnapshotInfo, error) {
	id, err := f.mem.CreateSnapshot(ctx, t.CanisterID)
	if err != nil {
		return pluginapi.SnapshotInfo{}, pluginapi.Errorf(pluginapi.CodeNotStopped, "%v", err)
	}
	return pluginapi.SnapshotInfo{ID: id}, nil
}

func (f *fakePlugin) ListSnapshots(_ context.Context, t pluginapi.Target) ([]pluginapi.SnapshotInfo, error) {
	var out []pluginapi.SnapshotInfo
	for _, id := range f.mem.Snapshots(t.CanisterID) {
		out = append(out, pluginapi.SnapshotInfo{ID: id})
	}
	return out, nil
}

func (f *fakePlugin) DownloadSnapshot(ctx context.Context, t pluginapi.Target, id, dir string, _ pluginapi.ProgressFunc) (pluginapi.TransferResult, error) {
	return pluginapi.TransferResult{SnapshotID: id}, f.mem.DownloadSnapshot(ctx, t.CanisterID, id, dir)
}

func demoPluginRegistry() []pluginapi.RegistryEntry {
	return []pluginapi.RegistryEntry{
		{PID: demoRoot, Role: "root", ModuleHash: "1111111111111111111111111111111111111111111111111111111111111111"},
		{PID: demoApp, Role: "app", ParentPID: demoRoot, ModuleHash: "2222222222222222222222222222222222222222222222222222222222222222"},
		{PID: demoHub, Role: "user_hub", ParentPID: demoRoot, ModuleHash: "3333333333333333333333333333333333333333333333333333333333333333"},
	}
}

// TestPluginExecutorRunsAPlan: the plugin adapter's preflight re-hashes the
// registry exactly as planning did, so an unchanged fleet runs to the end.
func TestPluginExecutorRunsAPlan(t *testing.T) {
	base := t.TempDir()
	reg := filepath.Join(base, "registry.json")
	writeFile(t, reg, demoRegistry)
	out := filepath.Join(base, "b")
	r := runCLI(t, "backup", "plan", "--registry", reg, "--root", demoRoot, "--network", "ic", "--out", out)
	require.Equal(t, exitOK, r.code, r.stderr)

	fake := &fakePlugin{mem: memexec.New(), registry: demoPluginRegistry()}
	resp, err := runner.Run(context.Background(), runner.Config{Dir: out}, &pluginExecutor{exec: fake, network: "ic"})
	require.NoError(t, err)
	assert.True(t, resp.Complete)
	for _, n := range fake.networks {
		assert.Equal(t, "ic", n)
	}
	assert.Empty(t, fake.mem.Stopped())
}

// TestPluginExecutorDetectsTopologyDrift: a canister added since planning
// changes the registry hash and preflight refuses before anything stops.
func TestPluginExecutorDetectsTopologyDrift(t *testing.T) {
	base := t.TempDir()
	reg := filepath.Join(base, "registry.json")
	writeFile(t, reg, demoRegistry)
	out := filepath.Join(base, "b")
	r := runCLI(t, "backup", "plan", "--registry", reg, "--root", demoRoot, "--out", out)
	require.Equal(t, exitOK, r.code, r.stderr)

	fake := &fakePlugin{mem: memexec.New(), registry: append(demoPluginRegistry(),
		pluginapi.RegistryEntry{PID: "ryjl3-tyaaa-aaaaa-aaaba-cai", Role: "extra", ParentPID: demoRoot})}
	_, err := runner.Run(context.Background(), runner.Config{Dir: out}, &pluginExecutor{exec: fake, network: "local"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "topology preflight hash drifted")
	assert.Empty(t, fake.mem.Calls())
}

// TestCommandErrorNamesTheCodeOnce: a plugin error's code becomes the
// journal status and is not repeated in the message, so the failure reads
// "transient: executor "agent": ..." and not "transient: executor ...:
// transient: ...".
func TestCommandErrorNamesTheCodeOnce(t *testing.T) {
	err := commandError(&pluginapi.Error{Code: pluginapi.CodeTransient, Message: "replica busy", Executor: "agent"})
	var ce *runner.CommandError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "transient", ce.Status)
	assert.Equal(t, `executor "agent": replica busy`, ce.Message)

	failed := &runner.CommandFailedError{Sequence: 3, Status: ce.Status, Message: ce.Message}
	assert.Equal(t, `backup operation 3 failed: transient: executor "agent": replica busy`, failed.Error())

	// A wrapped error keeps its whole text (the wrapper's context matters).
	wrapped := commandError(fmt.Errorf("download chunk 4: %w", &pluginapi.Error{Code: pluginapi.CodeTransient, Message: "reset"}))
	require.ErrorAs(t, wrapped, &ce)
	assert.Equal(t, "download chunk 4: transient: reset", ce.Message)
}

// TestRestoreErrorNamesTheCodeOnce: a restore command failure names the
// plugin code once, as a backup one does, and still unwraps to the plugin
// error.
func TestRestoreErrorNamesTheCodeOnce(t *testing.T) {
	pe := &pluginapi.Error{Code: pluginapi.CodeNotFound, Message: "no such snapshot", Executor: "agent"}
	err := restoreError(pe)
	assert.Equal(t, `command failed with status not-found: executor "agent": no such snapshot`, err.Error())
	var got *pluginapi.Error
	require.ErrorAs(t, err, &got)
	assert.Same(t, pe, got)
}
