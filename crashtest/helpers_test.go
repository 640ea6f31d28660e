package crashtest

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

	"github.com/canic-backup/canic-backup/driver/dfx/dfxtest"
	"github.com/canic-backup/canic-backup/sim"
	"github.com/canic-backup/canic-backup/sim/replica"
	"github.com/canic-backup/canic-backup/sim/simtest"
)

// Environments of the config written by startFleet (as in e2e/): the agent
// driver and the dfx driver in icp flavor, both reaching one simulator.
const (
	envAgent = "sim"
	envICP   = "sim-icp"
)

// fleetSize is each canister's memory: two 2 MiB download/upload chunks
// of wasm memory, so chunk loops have a middle to be killed in.
const fleetSize = 3 << 20

// fleet is a running simulator (root + 3 children, deterministic keys and
// ids) and the canic.toml that reaches it.
type fleet struct {
	s        *sim.Simulator
	dir, cfg string
	children []string
}

// startFleet starts a fresh simulator. Equal seeds give equal canister ids
// and contents, so a backup of one fleet restores onto another.
func startFleet(t *testing.T) *fleet {
	t.Helper()
	s := simtest.Start(t, sim.Options{
		Fleet:   sim.Fleet{Name: "crash", Children: 3, Depth: 1, Size: fleetSize, Seed: 11},
		KeySeed: []byte("canic-backup crash harness"),
	})
	dir := t.TempDir()
	f := &fleet{s: s, dir: dir, cfg: filepath.Join(dir, "canic.toml")}
	for _, p := range s.Canisters()[1:] {
		f.children = append(f.children, p.String())
	}
	require.Len(t, f.children, 3)
	q := strconv.Quote
	var b strings.Builder
	b.WriteString("version = 1\ndefault_environment = \"sim\"\n")
	for env, ex := range map[string]string{envAgent: "sim-agent", envICP: "sim-icp"} {
		b.WriteString("\n[environments." + env + "]\nnetwork = \"local\"\nroot = " + q(s.RootCanister().String()) +
			"\nexecutor = " + q(ex) + "\nfleet = \"crash\"\n")
	}
	b.WriteString("\n[executors.sim-agent]\ndriver = \"agent\"\nurl = " + q(s.URL()) + "\nroot_key = " + q(s.RootKeyHex()) +
		"\nidentity_pem = " + q(s.ControllerPEMPath()) + "\nretry_initial_backoff = \"20ms\"\nretry_max_backoff = \"200ms\"\npoll_timeout = \"10s\"\n")
	b.WriteString("\n[executors.sim-icp]\ndriver = \"dfx\"\nflavor = \"icp\"\nbinary = " + q(dfxtest.ICPBinary(t)) + "\nnetwork = " + q(s.URL()) +
		"\nroot_key = " + q(s.RootKeyHex()) + "\nidentity_pem = " + q(s.ControllerPEMPath()) + "\n")
	require.NoError(t, os.WriteFile(f.cfg, []byte(b.String()), 0o644))
	return f
}

// result is what one run of the binary left.
type result struct {
	code           int
	killed         bool // ended by SIGKILL (a kill point in the main process)
	stdout, stderr string
}

func (r result) String() string {
	return "exit " + strconv.Itoa(r.code) + " killed=" + strconv.FormatBool(r.killed) +
		"\nstdout:\n" + r.stdout + "\nstderr:\n" + r.stderr
}

// marker tags every process of one harness run through its environment
// (the plugin and icp processes inherit it), so orphans can be found.
const marker = "CANIC_CRASHTEST_RUN"

// cli runs the binary with args in dir, its environment plus extra.
func cli(t *testing.T, dir string, extra []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, canicBin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "CANIC_BACKUP_LOG=", "DO_NOT_TRACK=1"), extra...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "canic-backup %v timed out\n%s\n%s", args, out.String(), errOut.String())
	r := result{stdout: out.String(), stderr: errOut.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
		r.killed = killedBySIGKILL(ee.ProcessState)
	} else {
		require.NoError(t, err)
	}
	return r
}

// marked lists the live processes whose environment holds marker=id (the
// canic-backup processes) or whose command line names url (the icp
// processes the dfx driver starts with a clean environment).
func marked(id, url string) []int {
	entries, _ := os.ReadDir("/proc")
	want := []byte(marker + "=" + id + "\x00")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		argv, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if !bytes.Contains(env, want) && !bytes.Contains(argv, []byte(url)) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil {
			if i := bytes.LastIndexByte(stat, ')'); i > 0 && bytes.HasPrefix(stat[i+1:], []byte(" Z")) {
				continue // a zombie has exited
			}
		}
		out = append(out, pid)
	}
	return out
}

// noOrphans waits (5s at most) until no process of the run tagged id on
// the simulator at url is alive.
func noOrphans(t *testing.T, id, url string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := marked(id, url)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range left {
				_ = killPID(pid)
			}
			t.Fatalf("processes %v of the killed run are still alive 5s later", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
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
		require.True(t, ok, id)
		out[id] = d
	}
	return out
}

// stopped lists the given canisters that do not run.
func stopped(t *testing.T, s *sim.Simulator, ids ...string) []string {
	t.Helper()
	var out []string
	for _, id := range ids {
		st, ok := s.Replica().Status(raw(t, id))
		require.True(t, ok, id)
		if st != "running" {
			out = append(out, id+" "+st)
		}
	}
	return out
}

// execute calls the replica directly as the controller.
func execute(t *testing.T, s *sim.Simulator, canister []byte, method string, arg any) []byte {
	t.Helper()
	enc, err := idl.Marshal([]any{arg})
	require.NoError(t, err)
	out, err := s.Replica().Execute(context.Background(), replica.Call{
		Sender: s.ControllerIdentity().Sender().Raw, Canister: canister, Method: method, Arg: enc, Kind: replica.Update,
	})
	require.NoError(t, err, method)
	return out
}

// snapshots counts each canister's snapshots.
func snapshots(t *testing.T, s *sim.Simulator, ids ...string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, id := range ids {
		b := execute(t, s, nil, "list_canister_snapshots", struct {
			CanisterID principal.Principal `ic:"canister_id"`
		}{CanisterID: principal.Principal{Raw: raw(t, id)}})
		var list []struct {
			ID               []byte `ic:"id"`
			TakenAtTimestamp uint64 `ic:"taken_at_timestamp"`
			TotalSize        uint64 `ic:"total_size"`
		}
		require.NoError(t, idl.Unmarshal(b, []any{&list}))
		out[id] = len(list)
	}
	return out
}

// mutateAll changes every given canister's state.
func mutateAll(t *testing.T, s *sim.Simulator, ids ...string) {
	t.Helper()
	for i, id := range ids {
		execute(t, s, raw(t, id), "sim_mutate", uint64(1000+i))
	}
}
