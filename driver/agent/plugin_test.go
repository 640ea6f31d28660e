package agent_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/pluginapi/plugintest"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
)

var (
	pluginOnce sync.Once
	pluginBin  string
	pluginErr  error
)

// pluginBinary builds internal/testplugin once per test binary.
func pluginBinary(t *testing.T) string {
	t.Helper()
	pluginOnce.Do(func() {
		dir, err := os.MkdirTemp("", "agentplugin")
		if err != nil {
			pluginErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		pluginBin, pluginErr = plugintest.Build(ctx, dir, "agentplugin", "./internal/testplugin")
	})
	require.NoError(t, pluginErr)
	return pluginBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if pluginBin != "" {
		_ = os.RemoveAll(filepath.Dir(pluginBin))
	}
	os.Exit(code)
}

// pluginClient starts the agent executor as a plugin subprocess for s,
// configured through TOML as the integration will configure it.
func pluginClient(t *testing.T, s *sim.Simulator, extraEnv ...string) *pluginapi.Client {
	t.Helper()
	conf := fmt.Sprintf("url = %q\nroot_key = %q\nidentity_pem = %q\nchunk_concurrency = 4\nmax_in_flight = 8\n"+
		"poll_timeout = \"1m\"\nretry_attempts = 30\nretry_initial_backoff = \"5ms\"\nretry_max_backoff = \"100ms\"\n",
		s.URL(), s.RootKeyHex(), s.ControllerPEMPath())
	cmd := exec.Command(pluginBinary(t))
	cmd.Env = append([]string{"CANIC_AGENT_TOML=" + conf}, extraEnv...)
	c, err := pluginapi.NewClient(pluginapi.ClientConfig{Name: "agent", Cmd: cmd})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestPluginDownloadPeakMemory downloads a 256 MiB snapshot through the
// plugin process and reports its peak RSS (VmHWM).
func TestPluginDownloadPeakMemory(t *testing.T) {
	size := int64(256 << 20)
	if testing.Short() || raceEnabled {
		size = 32 << 20
		t.Log("-short or -race: downloading 32 MiB instead of 256 MiB")
	}
	s := simtest.Start(t, sim.Options{Fleet: sim.Fleet{Name: "big", Size: size, Seed: 9}})
	hwmFile := filepath.Join(t.TempDir(), "hwm")
	c := pluginClient(t, s, "CANIC_AGENT_HWM_FILE="+hwmFile)
	ctx := ctxT(t)
	tg := target(s.RootCanister())
	require.NoError(t, c.StopCanister(ctx, tg))
	snap, err := c.CreateSnapshot(ctx, tg)
	require.NoError(t, err)
	start := time.Now()
	res, err := c.DownloadSnapshot(ctx, tg, snap.ID, t.TempDir(), nil)
	require.NoError(t, err)
	elapsed := time.Since(start)
	require.GreaterOrEqual(t, res.Bytes, uint64(size))
	b, err := os.ReadFile(hwmFile)
	require.NoError(t, err)
	kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(string(b)), " kB"), 10, 64)
	require.NoError(t, err, "VmHWM %q", b)
	t.Logf("downloaded %d MiB in %s (%.0f MiB/s); plugin peak RSS (VmHWM) %d MiB",
		res.Bytes>>20, elapsed.Round(time.Millisecond), float64(res.Bytes>>20)/elapsed.Seconds(), kb>>10)
	assert.Less(t, kb>>10, uint64(100), "peak RSS of the plugin while downloading stays under 100 MiB")
}
