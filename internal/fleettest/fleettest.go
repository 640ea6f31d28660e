// Package fleettest is the test side of the shared fleet harness used by
// e2e/ and crashtest/: it builds the canic-backup binary and runs it as a
// subprocess, starts a simulated fleet with its canic.toml (written by
// internal/simfleet, as `sim start` and the demo write it), reads and
// changes the canisters as their controller, and sets up the S3 store of
// the store scenarios on a SeaweedFS server.
package fleettest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/internal/simfleet"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/simtest"
)

// Environments of the config Start writes: the agent driver and the dfx
// driver in icp flavor, both reaching one simulator.
const (
	EnvAgent = simfleet.EnvAgent
	EnvICP   = simfleet.EnvICP
)

// ExecutorOf names the executor table of each environment.
var ExecutorOf = map[string]string{EnvAgent: simfleet.ExecutorAgent, EnvICP: simfleet.ExecutorICP}

// Fleet is a running simulator and the canic.toml that reaches it.
type Fleet struct {
	// Sim is the simulator, stopped when the test ends.
	Sim *sim.Simulator
	// Dir is the test's directory; Config its canic.toml.
	Dir, Config string
	// Root and Children are the fleet's canister ids.
	Root     string
	Children []string
}

// Start starts a simulator with so (simtest.Start) and adopts it (see
// Adopt) for fleet so.Fleet.Name.
func Start(t *testing.T, so sim.Options, cfg simfleet.ConfigOptions) *Fleet {
	t.Helper()
	return Adopt(t, simtest.Start(t, so), so.Fleet.Name, cfg)
}

// Adopt writes, into a fresh directory, the canic.toml that reaches s for
// fleet, with cfg's additions.
func Adopt(t *testing.T, s *sim.Simulator, fleet string, cfg simfleet.ConfigOptions) *Fleet {
	t.Helper()
	dir := t.TempDir()
	f := &Fleet{Sim: s, Dir: dir, Config: filepath.Join(dir, "canic.toml"), Root: s.RootCanister().String()}
	for _, p := range s.Canisters()[1:] {
		f.Children = append(f.Children, p.String())
	}
	WriteConfig(t, f.Config, s, fleet, cfg)
	return f
}

// FastRetry are agent executor lines that keep the retries of a test run
// short.
func FastRetry(more ...string) []string {
	return append([]string{`retry_initial_backoff = "20ms"`, `retry_max_backoff = "200ms"`}, more...)
}

// WriteConfig writes the canic.toml of fleet on s to path.
func WriteConfig(t *testing.T, path string, s *sim.Simulator, fleet string, cfg simfleet.ConfigOptions) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(simfleet.ConfigTOML(s.Info(), fleet, cfg)), 0o644))
}

// AppendConfig appends text (more tables) to the fleet's canic.toml.
func (f *Fleet) AppendConfig(t *testing.T, text string) {
	t.Helper()
	cfg, err := os.OpenFile(f.Config, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = cfg.WriteString(text)
	require.NoError(t, err)
	require.NoError(t, cfg.Close())
}

// Raw is a principal's bytes.
func Raw(t *testing.T, id string) []byte {
	t.Helper()
	p, err := simfleet.Principal(id)
	require.NoError(t, err, id)
	return p
}

// Digests returns every given canister's sim_digest.
func Digests(t *testing.T, s *sim.Simulator, ids ...string) map[string]string {
	t.Helper()
	out, err := simfleet.Digests(s, ids...)
	require.NoError(t, err)
	return out
}

// Statuses returns every given canister's status.
func Statuses(t *testing.T, s *sim.Simulator, ids ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, id := range ids {
		st, ok := s.Replica().Status(Raw(t, id))
		require.True(t, ok, "canister %s exists", id)
		out[id] = st
	}
	return out
}

// Execute calls the replica directly as the controller.
func Execute(t *testing.T, s *sim.Simulator, canister []byte, method string, arg any) []byte {
	t.Helper()
	out, err := simfleet.Execute(context.Background(), s, canister, method, arg)
	require.NoError(t, err, method)
	return out
}

// Mutate changes every given canister's state (sim_mutate with base,
// base+1, ...).
func Mutate(t *testing.T, s *sim.Simulator, base uint64, ids ...string) {
	t.Helper()
	for i, id := range ids {
		require.NoError(t, simfleet.Mutate(context.Background(), s, id, base+uint64(i)))
	}
}

// Snapshot is one entry of list_canister_snapshots.
type Snapshot struct {
	ID               []byte `ic:"id"`
	TakenAtTimestamp uint64 `ic:"taken_at_timestamp"`
	TotalSize        uint64 `ic:"total_size"`
}

// canisterArg is the management canister's { canister_id } argument.
type canisterArg struct {
	CanisterID principal.Principal `ic:"canister_id"`
}

// Snapshots lists canister id's snapshots.
func Snapshots(t *testing.T, s *sim.Simulator, id string) []Snapshot {
	t.Helper()
	b := Execute(t, s, nil, "list_canister_snapshots", canisterArg{CanisterID: principal.Principal{Raw: Raw(t, id)}})
	var list []Snapshot
	require.NoError(t, idl.Unmarshal(b, []any{&list}))
	return list
}
