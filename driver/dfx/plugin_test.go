package dfx_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/driver/dfx/dfxtest"
	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/pluginapi/plugintest"
	"github.com/canic-backup/canic-backup/sim/simtest"
)

// TestICPExecutorThroughPluginProcess builds driver/dfx/internal/testplugin,
// starts it with pluginapi.NewClient (a real go-plugin subprocess that runs
// the real icp binary) and takes a snapshot of a simulator canister through
// it: status, stop, create, download, with codes crossing the boundary.
func TestICPExecutorThroughPluginProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin, err := plugintest.Build(ctx, t.TempDir(), "dfx-testplugin", "./internal/testplugin")
	require.NoError(t, err)

	s := simtest.Start(t, fleet())
	var conf bytes.Buffer
	require.NoError(t, toml.NewEncoder(&conf).Encode(dfxtest.Settings(t, s)))
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "CANIC_DFX_SETTINGS="+conf.String())
	client, err := pluginapi.NewClient(pluginapi.ClientConfig{Name: "icp", Cmd: cmd})
	require.NoError(t, err)
	defer client.Close()

	info, err := client.Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, "icp", info.Name)

	c := s.Canisters()[2]
	tg := pluginapi.Target{CanisterID: c.String()}
	st, err := client.CanisterStatus(ctx, tg)
	require.NoError(t, err)
	assert.Equal(t, pluginapi.StatusRunning, st.Status)
	_, err = client.CreateSnapshot(ctx, tg)
	require.ErrorIs(t, err, pluginapi.CodeNotStopped, "the code crosses the process boundary")
	require.NoError(t, client.StopCanister(ctx, tg))
	snap, err := client.CreateSnapshot(ctx, tg)
	require.NoError(t, err)

	dir := filepath.Join(t.TempDir(), "snap")
	var events int
	res, err := client.DownloadSnapshot(ctx, tg, snap.ID, dir, func(pluginapi.Progress) { events++ })
	require.NoError(t, err)
	assert.Equal(t, snap.ID, res.SnapshotID)
	assert.Positive(t, events)
	want, _ := s.Replica().Digest(c.Raw)
	assert.Equal(t, want, sha(t, filepath.Join(dir, "wasm_memory.bin"), filepath.Join(dir, "stable_memory.bin")))
	require.NoError(t, client.StartCanister(ctx, tg))
}
