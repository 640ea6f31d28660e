package main

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/runner/memexec"
	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/pluginapi/host"
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

// Info advertises no preflight, so the host reads each status itself.
func (f *fakePlugin) Info(context.Context) (pluginapi.Info, error) {
	return pluginapi.Info{Name: "fake"}, nil
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
	resp, err := runner.Run(context.Background(), runner.Config{Dir: out}, host.New(fake, "fake", "ic"))
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
	_, err := runner.Run(context.Background(), runner.Config{Dir: out}, host.New(fake, "fake", "local"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "topology preflight hash drifted")
	assert.Empty(t, fake.mem.Calls())
}
