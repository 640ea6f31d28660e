package crashtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/driver/dfx/dfxtest"
	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/canic-backup/canic-backup/internal/simfleet"
	"github.com/canic-backup/canic-backup/sim"
)

// Environments of the config written by startFleet (internal/fleettest,
// as in e2e/): the agent driver and the dfx driver in icp flavor, both
// reaching one simulator.
const (
	envAgent = fleettest.EnvAgent
	envICP   = fleettest.EnvICP
)

// fleetSize is each canister's memory: two 2 MiB download/upload chunks
// of wasm memory, so chunk loops have a middle to be killed in.
const fleetSize = 3 << 20

// fleet is a running simulator (root + 3 children, deterministic keys and
// ids) and the canic.toml that reaches it.
type fleet = fleettest.Fleet

// crashFleet is the simulator options of every fleet of the harness, its
// canisters of size bytes.
func crashFleet(size int64) sim.Options {
	return sim.Options{
		Fleet:   sim.Fleet{Name: "crash", Children: 3, Depth: 1, Size: size, Seed: 11},
		KeySeed: []byte("canic-backup crash harness"),
	}
}

// crashAgentExtra are the agent executor's lines of every fleet's config.
func crashAgentExtra() []string { return fleettest.FastRetry(`poll_timeout = "10s"`) }

// startFleet starts a fresh simulator. Equal seeds give equal canister ids
// and contents, so a backup of one fleet restores onto another.
func startFleet(t *testing.T) *fleet {
	t.Helper()
	f := fleettest.Start(t, crashFleet(fleetSize), simfleet.ConfigOptions{
		ICPBinary: dfxtest.ICPBinary(t), AgentExtra: crashAgentExtra(),
	})
	require.Len(t, f.Children, 3)
	return f
}

// result is what one run of the binary left.
type result = fleettest.Result

// marker tags every process of one harness run through its environment
// (the plugin and icp processes inherit it), so orphans can be found.
const marker = "CANIC_CRASHTEST_RUN"

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
				_ = fleettest.KillPID(pid)
			}
			t.Fatalf("processes %v of the killed run are still alive 5s later", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopped lists the given canisters that do not run.
func stopped(t *testing.T, s *sim.Simulator, ids ...string) []string {
	t.Helper()
	var out []string
	for _, id := range ids {
		st, ok := s.Replica().Status(fleettest.Raw(t, id))
		require.True(t, ok, id)
		if st != "running" {
			out = append(out, id+" "+st)
		}
	}
	return out
}

// snapshots counts each canister's snapshots.
func snapshots(t *testing.T, s *sim.Simulator, ids ...string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, id := range ids {
		out[id] = len(fleettest.Snapshots(t, s, id))
	}
	return out
}
