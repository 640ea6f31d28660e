package dfx_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/driver/dfx/dfxtest"
	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/pluginapi/plugintest"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/replica"
	"github.com/canic-backup/canic-backup/sim/simtest"
)

// TestPluginConformance runs pluginapi/plugintest against the icp-flavor
// executor as a real plugin subprocess (driver/dfx/internal/testplugin)
// that runs the real icp binary against the simulator. The simulator adds
// 5ms to every update call so that a download is still running when the
// suite cancels it after its first progress report.
func TestPluginConformance(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin, err := plugintest.Build(ctx, t.TempDir(), "dfx-testplugin", "./internal/testplugin")
	require.NoError(t, err)

	s := simtest.Start(t, sim.Options{
		Fleet:  sim.Fleet{Name: "conf", Children: 1, Depth: 1, Size: 24 << 20, Seed: 4},
		Faults: sim.Faults{UpdateLatency: 5 * time.Millisecond},
	})
	stranger := principal.NewSelfAuthenticating([]byte("a public key nobody here holds"))
	other, err := s.Replica().SeedFleet(replica.FleetSpec{Name: "foreign", Size: 64 << 10, Seed: 2, Controllers: [][]byte{stranger.Raw}})
	require.NoError(t, err)
	missing := principal.Principal{Raw: []byte{0, 0, 0, 0, 0, 0x0f, 0x42, 0x40, 1, 1}}

	var conf bytes.Buffer
	require.NoError(t, toml.NewEncoder(&conf).Encode(dfxtest.Settings(t, s)))
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "CANIC_DFX_SETTINGS="+conf.String())
	client, err := pluginapi.NewClient(pluginapi.ClientConfig{Name: "icp", Cmd: cmd})
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })

	plugintest.Run(t, plugintest.Config{
		Executor: client, Network: "local", Root: s.RootCanister().String(), Canister: s.Canisters()[1].String(),
		Foreign: principal.Principal{Raw: other.Root}.String(), Missing: missing.String(), CallTimeout: 2 * time.Minute,
		RequirePreflightDetail: true,
	})
}
