package agent_test

import (
	"context"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go/principal"
	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/driver/agent"
	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
)

// fleet4 is a root and three children of 5 MiB each (3 chunks per memory).
func fleet4() sim.Fleet {
	return sim.Fleet{Name: "agent", Children: 3, Depth: 1, Size: 5 << 20, Seed: 7}
}

// simSettings configures the executor for s with fast retries.
func simSettings(s *sim.Simulator) agent.Settings {
	return agent.Settings{
		URL: s.URL(), RootKey: s.RootKeyHex(), IdentityPEM: s.ControllerPEMPath(),
		PollTimeout: agent.Duration(time.Minute), RetryAttempts: 30,
		RetryInitialBackoff: agent.Duration(5 * time.Millisecond), RetryMaxBackoff: agent.Duration(100 * time.Millisecond),
	}
}

func newExecutor(t testing.TB, s *sim.Simulator, opts ...agent.Option) *agent.Executor {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := agent.New(ctx, simSettings(s), hclog.NewNullLogger(), opts...)
	require.NoError(t, err)
	return e
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func target(p principal.Principal) pluginapi.Target {
	return pluginapi.Target{Network: "local", CanisterID: p.String()}
}

func digest(t testing.TB, s *sim.Simulator, p principal.Principal) string {
	t.Helper()
	d, ok := s.Replica().Digest(p.Raw)
	require.True(t, ok)
	return d
}

// mutate changes a running canister's memory through sim_mutate.
func mutate(t testing.TB, s *sim.Simulator, p principal.Principal, n uint64) {
	t.Helper()
	require.NoError(t, simtest.Agent(t, s, nil).Call(p, "sim_mutate", []any{n}, []any{}))
}

func newWith(t testing.TB, set agent.Settings) (*agent.Executor, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return agent.New(ctx, set, hclog.NewNullLogger())
}
