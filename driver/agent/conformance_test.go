package agent_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go/principal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/pluginapi/plugintest"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/replica"
	"github.com/canic-backup/canic-backup/sim/simtest"
)

// conformanceFixture starts a simulator whose fleet's first child is the
// suite's canister, with a second fleet controlled by someone else (the
// suite's Foreign canister) and a canister id nobody allocated (Missing).
func conformanceFixture(t *testing.T, opts sim.Options) (s *sim.Simulator, foreign, missing string) {
	t.Helper()
	s = simtest.Start(t, opts)
	stranger := principal.NewSelfAuthenticating([]byte("a public key nobody here holds"))
	other, err := s.Replica().SeedFleet(replica.FleetSpec{Name: "foreign", Size: 64 << 10, Seed: 2, Controllers: [][]byte{stranger.Raw}})
	require.NoError(t, err)
	unused := principal.Principal{Raw: []byte{0, 0, 0, 0, 0, 0x0f, 0x42, 0x40, 1, 1}}
	for _, id := range s.Replica().CanisterIDs() {
		require.NotEqual(t, unused.Raw, id, "the missing canister id is allocated")
	}
	return s, principal.Principal{Raw: other.Root}.String(), unused.String()
}

// TestPluginConformance runs pluginapi/plugintest against the agent
// executor as a real plugin subprocess talking to the simulator. The
// plugin's cache directory is private, so the test also sees that a
// finished upload leaves no resume record behind.
func TestPluginConformance(t *testing.T) {
	s, foreign, missing := conformanceFixture(t, sim.Options{Fleet: sim.Fleet{Name: "conf", Children: 1, Depth: 1, Size: 12 << 20, Seed: 4}})
	cache := t.TempDir()
	c := pluginClient(t, s, "XDG_CACHE_HOME="+cache)
	plugintest.Run(t, plugintest.Config{
		Executor: c, Network: "local", Root: s.RootCanister().String(), Canister: s.Canisters()[1].String(),
		Foreign: foreign, Missing: missing, CallTimeout: time.Minute, RequirePreflightDetail: true,
	})
	left, err := filepath.Glob(filepath.Join(cache, "canic-backup", "uploads", "*"))
	require.NoError(t, err)
	assert.Empty(t, left, "no upload resume record is left behind")
	_, err = os.Stat(cache)
	require.NoError(t, err)
}
