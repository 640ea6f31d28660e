package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/driver/dfx/dfxtest"
	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/canic-backup/canic-backup/internal/simfleet"
	"github.com/canic-backup/canic-backup/sim"
)

// Environments of the config written by writeConfig (internal/fleettest):
// the agent driver and the dfx driver in icp flavor, both reaching the
// same simulator.
const (
	envAgent = fleettest.EnvAgent
	envICP   = fleettest.EnvICP
)

// executorOf names the executor table of each environment.
var executorOf = fleettest.ExecutorOf

// fleet is a running simulator and the canic.toml that reaches it.
type fleet = fleettest.Fleet

// startFleet starts a simulator with a root and three children of size
// bytes each and writes its canic.toml (as `sim start` writes it, with the
// icp binary given by path) into a fresh directory.
func startFleet(t *testing.T, size int64) *fleet {
	t.Helper()
	f := fleettest.Start(t, sim.Options{
		Fleet: sim.Fleet{Name: "e2e", Children: 3, Depth: 1, Size: size, Seed: 7},
	}, simfleet.ConfigOptions{ICPBinary: icpBinary(t), AgentExtra: fleettest.FastRetry()})
	require.Len(t, f.Children, 3)
	requireMainnetShape(t, f.Sim)
	return f
}

// requireMainnetShape checks the simulator has the default mainnet shape:
// the NNS subnet holds none of the fleet, which spans both application
// subnets, so every certificate the executors see carries a delegation.
func requireMainnetShape(t *testing.T, s *sim.Simulator) {
	t.Helper()
	info := s.Info()
	require.Len(t, info.Subnets, 3, "NNS plus two application subnets")
	used := map[string]bool{}
	for _, id := range info.CanisterIDs {
		require.NotEqual(t, info.SubnetID, info.CanisterSubnets[id], "%s must not be on the NNS subnet", id)
		used[info.CanisterSubnets[id]] = true
	}
	require.Len(t, used, 2, "the fleet spans both application subnets")
}

// writeConfig writes a canic.toml of fleet "e2e" with environments sim
// (agent) and sim-icp (icp at icpBin) for s; agentExtra are more lines of
// the agent's executor table.
func writeConfig(t *testing.T, path string, s *sim.Simulator, icpBin string, agentExtra ...string) {
	t.Helper()
	fleettest.WriteConfig(t, path, s, "e2e", simfleet.ConfigOptions{ICPBinary: icpBin, AgentExtra: fleettest.FastRetry(agentExtra...)})
}

// result is what one run of the binary left.
type result = fleettest.Result

// allRunning is statuses' value when every canister runs.
func allRunning(ids ...string) map[string]string {
	out := map[string]string{}
	for _, id := range ids {
		out[id] = "running"
	}
	return out
}

// mutateAll changes every canister's state through sim_mutate and checks
// each digest moved.
func mutateAll(t *testing.T, s *sim.Simulator, before map[string]string) {
	t.Helper()
	ids := keys(before)
	fleettest.Mutate(t, s, 1001, ids...)
	after := fleettest.Digests(t, s, ids...)
	for id, d := range before {
		require.NotEqual(t, d, after[id], "sim_mutate changed %s", id)
	}
}

// keys lists a map's keys.
func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// readExecutionJournal reads a backup directory's execution journal.
func readExecutionJournal(t *testing.T, dir string) *journal.BackupExecutionJournal {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "backup-execution-journal.json"))
	require.NoError(t, err)
	j, err := journal.DecodeExecutionJournal(b)
	require.NoError(t, err)
	return j
}

// readRestoreJournal reads a restore apply journal.
func readRestoreJournal(t *testing.T, path string) *restore.Journal {
	t.Helper()
	j, err := restore.ReadJournal(path)
	require.NoError(t, err)
	return j
}

// writeMapping writes a restore mapping file.
func writeMapping(t *testing.T, path string, m restore.Mapping) {
	t.Helper()
	b, err := wire.MarshalPretty(m)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

func itoa(n int) string { return strconv.Itoa(n) }

// icpBinary is the icp 1.5.0 CLI (fails the test when it is missing).
func icpBinary(t *testing.T) string { return dfxtest.ICPBinary(t) }
