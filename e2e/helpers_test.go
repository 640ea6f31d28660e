package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go/candid/idl"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/driver/dfx/dfxtest"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/replica"
	"github.com/canic-backup/canic-backup/sim/simtest"
)

// Environments of the config written by writeConfig: the agent driver and
// the dfx driver in icp flavor, both reaching the same simulator.
const (
	envAgent = "sim"
	envICP   = "sim-icp"
)

// executorOf names the executor table of each environment.
var executorOf = map[string]string{envAgent: "sim-agent", envICP: "sim-icp"}

// fleet is a running simulator seeded with root + 3 children, and the
// canic.toml that reaches it.
type fleet struct {
	s        *sim.Simulator
	dir      string
	cfg      string
	root     string
	children []string
}

// startFleet starts a simulator with a root and three children of size
// bytes each and writes its canic.toml (as `sim start` writes it, with the
// icp binary given by path) into a fresh directory.
func startFleet(t *testing.T, size int64) *fleet {
	t.Helper()
	s := simtest.Start(t, sim.Options{
		Fleet: sim.Fleet{Name: "e2e", Children: 3, Depth: 1, Size: size, Seed: 7},
	})
	dir := t.TempDir()
	f := &fleet{s: s, dir: dir, cfg: filepath.Join(dir, "canic.toml"), root: s.RootCanister().String()}
	for _, p := range s.Canisters()[1:] {
		f.children = append(f.children, p.String())
	}
	require.Len(t, f.children, 3)
	requireMainnetShape(t, s)
	writeConfig(t, f.cfg, s, icpBinary(t))
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

// writeConfig writes a canic.toml with environments sim (agent) and
// sim-icp (icp at icpBin) for s; agentExtra are more lines of the agent's
// executor table.
func writeConfig(t *testing.T, path string, s *sim.Simulator, icpBin string, agentExtra ...string) {
	t.Helper()
	q := strconv.Quote
	var b strings.Builder
	b.WriteString("version = 1\ndefault_environment = \"sim\"\n")
	for _, env := range []string{envAgent, envICP} {
		b.WriteString("\n[environments." + env + "]\nnetwork = \"local\"\nroot = " + q(s.RootCanister().String()) +
			"\nexecutor = " + q(executorOf[env]) + "\nfleet = \"e2e\"\n")
	}
	b.WriteString("\n[executors.sim-agent]\ndriver = \"agent\"\nurl = " + q(s.URL()) + "\nroot_key = " + q(s.RootKeyHex()) +
		"\nidentity_pem = " + q(s.ControllerPEMPath()) + "\nretry_initial_backoff = \"20ms\"\nretry_max_backoff = \"200ms\"\n")
	for _, l := range agentExtra {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n[executors.sim-icp]\ndriver = \"dfx\"\nflavor = \"icp\"\nbinary = " + q(icpBin) + "\nnetwork = " + q(s.URL()) +
		"\nroot_key = " + q(s.RootKeyHex()) + "\nidentity_pem = " + q(s.ControllerPEMPath()) + "\n")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
}

// result is what one run of the binary left.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return "exit " + strconv.Itoa(r.code) + "\nstdout:\n" + r.stdout + "\nstderr:\n" + r.stderr
}

// cli runs the canic-backup binary with args in dir, its environment
// plus extra ("K=V").
func cli(t *testing.T, dir string, extra []string, args ...string) result {
	t.Helper()
	cmd, out, errOut := command(t, dir, extra, args...)
	return wait(t, cmd, out, errOut)
}

// command prepares (and starts) the binary; finish it with wait.
func command(t *testing.T, dir string, extra []string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(canicBin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "CANIC_BACKUP_LOG="), extra...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Start())
	return cmd, &out, &errOut
}

// wait waits (at most 3 minutes) for a command started by command.
func wait(t *testing.T, cmd *exec.Cmd, out, errOut *bytes.Buffer) result {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(3 * time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("canic-backup %v timed out\nstdout:\n%s\nstderr:\n%s", cmd.Args[1:], out, errOut)
	}
	r := result{stdout: out.String(), stderr: errOut.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return r
}

// raw is a principal's bytes.
func raw(t *testing.T, id string) []byte {
	t.Helper()
	p, err := principal.Decode(id)
	require.NoError(t, err, id)
	return p.Raw
}

// digests returns every given canister's sim_digest.
func digests(t *testing.T, s *sim.Simulator, ids ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, id := range ids {
		d, ok := s.Replica().Digest(raw(t, id))
		require.True(t, ok, "canister %s exists", id)
		out[id] = d
	}
	return out
}

// statuses returns every given canister's status.
func statuses(t *testing.T, s *sim.Simulator, ids ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, id := range ids {
		st, ok := s.Replica().Status(raw(t, id))
		require.True(t, ok, "canister %s exists", id)
		out[id] = st
	}
	return out
}

// allRunning is statuses' value when every canister runs.
func allRunning(ids ...string) map[string]string {
	out := map[string]string{}
	for _, id := range ids {
		out[id] = "running"
	}
	return out
}

// controller is the simulator's controller principal bytes.
func controller(s *sim.Simulator) []byte {
	return s.ControllerIdentity().Sender().Raw
}

// execute calls the replica directly as the controller.
func execute(t *testing.T, s *sim.Simulator, canister []byte, method string, arg any) []byte {
	t.Helper()
	enc, err := idl.Marshal([]any{arg})
	require.NoError(t, err)
	out, err := s.Replica().Execute(context.Background(), replica.Call{
		Sender: controller(s), Canister: canister, Method: method, Arg: enc, Kind: replica.Update,
	})
	require.NoError(t, err, method)
	return out
}

// mutateAll changes every canister's state through sim_mutate and checks
// each digest moved.
func mutateAll(t *testing.T, s *sim.Simulator, before map[string]string) {
	t.Helper()
	n := uint64(1000)
	for id := range before {
		n++
		execute(t, s, raw(t, id), "sim_mutate", n)
	}
	after := digests(t, s, keys(before)...)
	for id, d := range before {
		require.NotEqual(t, d, after[id], "sim_mutate changed %s", id)
	}
}

// freshCanister creates an empty canister controlled by the simulator's
// controller (provisional_create_canister_with_cycles) and returns its id.
func freshCanister(t *testing.T, s *sim.Simulator) string {
	t.Helper()
	out := execute(t, s, nil, "provisional_create_canister_with_cycles", struct {
		Amount *idl.Nat `ic:"amount"`
	}{})
	var res struct {
		CanisterID principal.Principal `ic:"canister_id"`
	}
	require.NoError(t, idl.Unmarshal(out, []any{&res}))
	return res.CanisterID.String()
}

// fillSnapshots takes snapshots of id until it holds the IC's maximum
// (10), so the next take_canister_snapshot is rejected.
func fillSnapshots(t *testing.T, s *sim.Simulator, id string) {
	t.Helper()
	type arg struct {
		CanisterID principal.Principal `ic:"canister_id"`
	}
	for i := 0; ; i++ {
		enc, err := idl.Marshal([]any{arg{CanisterID: principal.Principal{Raw: raw(t, id)}}})
		require.NoError(t, err)
		_, err = s.Replica().Execute(context.Background(), replica.Call{
			Sender: controller(s), Method: "take_canister_snapshot", Arg: enc, Kind: replica.Update,
		})
		if err != nil {
			require.Contains(t, err.Error(), "maximum number of snapshots")
			return
		}
		require.Less(t, i, 20, "the simulator never refused a snapshot")
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

// dropSnapshot deletes one snapshot of id (listed through the replica), so
// a full canister has room for one more.
func dropSnapshot(t *testing.T, s *sim.Simulator, id string) {
	t.Helper()
	target := principal.Principal{Raw: raw(t, id)}
	out := execute(t, s, nil, "list_canister_snapshots", struct {
		CanisterID principal.Principal `ic:"canister_id"`
	}{CanisterID: target})
	var list []struct {
		ID               []byte `ic:"id"`
		TakenAtTimestamp uint64 `ic:"taken_at_timestamp"`
		TotalSize        uint64 `ic:"total_size"`
	}
	require.NoError(t, idl.Unmarshal(out, []any{&list}))
	require.NotEmpty(t, list)
	execute(t, s, nil, "delete_canister_snapshot", struct {
		CanisterID principal.Principal `ic:"canister_id"`
		SnapshotID []byte              `ic:"snapshot_id"`
	}{CanisterID: target, SnapshotID: list[0].ID})
}

// setControllers replaces id's controllers, calling update_settings as
// sender (which must control id).
func setControllers(t *testing.T, s *sim.Simulator, sender []byte, id string, controllers ...[]byte) {
	t.Helper()
	ps := make([]principal.Principal, len(controllers))
	for i, c := range controllers {
		ps[i] = principal.Principal{Raw: c}
	}
	type settings struct {
		Controllers *[]principal.Principal `ic:"controllers"`
	}
	enc, err := idl.Marshal([]any{struct {
		CanisterID principal.Principal `ic:"canister_id"`
		Settings   settings            `ic:"settings"`
	}{CanisterID: principal.Principal{Raw: raw(t, id)}, Settings: settings{Controllers: &ps}}})
	require.NoError(t, err)
	_, err = s.Replica().Execute(context.Background(), replica.Call{
		Sender: sender, Method: "update_settings", Arg: enc, Kind: replica.Update,
	})
	require.NoError(t, err, "update_settings of %s", id)
	got, ok := s.Replica().Controllers(raw(t, id))
	require.True(t, ok)
	require.Equal(t, controllers, got)
}

// icpBinary is the icp 1.5.0 CLI (fails the test when it is missing).
func icpBinary(t *testing.T) string { return dfxtest.ICPBinary(t) }
