package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/pluginapi/host"
)

// TestRestoreAdapterThroughLocaldirPlugin: the restore adapter drives a
// real plugin process; answered failures become restore.CommandError with
// the plugin's code, a dying plugin leaves the outcome unknown.
func TestRestoreAdapterThroughLocaldirPlugin(t *testing.T) {
	base := t.TempDir()
	fleetRoot := filepath.Join(base, "fleet")
	d := localFleet(t, fleetRoot)
	cfgPath := filepath.Join(base, "canic.toml")
	localdirConfig(t, cfgPath, localdirV1, fleetRoot, d.Root)
	crashPath := filepath.Join(base, "crash.toml")
	writeFile(t, crashPath, strings.Replace(readText(t, cfgPath), "[executors.localdir.env]\n", "[executors.localdir.env]\nLOCALDIR_CRASH_ON = \"LoadSnapshot\"\n", 1))
	e := env{getenv: func(string) string { return "" }, stderr: io.Discard}
	ctx := context.Background()

	open := func(path string) (host.Restorer, func() error) {
		cfg, err := config.LoadFile(path, builtinDrivers())
		require.NoError(t, err)
		client, err := startClient(ctx, e, cfg.Executors["localdir"])
		require.NoError(t, err)
		return newRestoreAdapter(client, client.Name(), "local"), client.Close
	}
	a, closeA := open(cfgPath)
	defer closeA()

	status, hash, err := a.CanisterStatus(ctx, d.App)
	require.NoError(t, err)
	assert.Equal(t, restore.StatusRunning, status)
	assert.Len(t, hash, 64)

	_, _, err = a.CanisterStatus(ctx, d.Missing)
	var ce *restore.CommandError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "not-found", ce.Status)

	require.NoError(t, a.StopCanister(ctx, d.App))
	id, err := a.UploadSnapshot(ctx, d.App, filepath.Join(fleetRoot, "canisters", d.App, "state"))
	require.NoError(t, err)
	require.NoError(t, a.LoadSnapshot(ctx, d.App, id))
	require.NoError(t, a.StartCanister(ctx, d.App))
	argv := a.CommandPreview(restore.CommandOp{Kind: restore.OpLoadSnapshot, Target: d.App, SnapshotID: id})
	assert.Equal(t, "localdir", argv.Program)
	assert.Equal(t, []string{"canister", "-n", "local", "snapshot", "restore", d.App, id}, argv.Args)

	crash, closeCrash := open(crashPath)
	defer closeCrash()
	err = crash.LoadSnapshot(ctx, d.App, id)
	require.Error(t, err)
	assert.NotErrorAs(t, err, &ce, "a dead plugin's outcome is unknown, not a definite failure")
	var exit *pluginapi.ExitError
	assert.ErrorAs(t, err, &exit)
}
