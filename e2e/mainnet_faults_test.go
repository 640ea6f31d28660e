package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go/principal"
	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/driver/agent"
	"github.com/canic-backup/canic-backup/pluginapi"

	"github.com/canic-backup/canic-backup/internal/cyclecost"
	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/canic-backup/canic-backup/internal/simfleet"
	"github.com/canic-backup/canic-backup/sim"
)

// mainnetFleet starts a simulator with opts (its fleet: a root and
// children of size bytes) and writes its canic.toml.
func mainnetFleet(t *testing.T, opts sim.Options, children int, size int64, agentExtra ...string) *fleet {
	t.Helper()
	opts.Fleet = sim.Fleet{Name: "e2e", Children: children, Depth: 1, Size: size, Seed: 7}
	return fleettest.Start(t, opts, simfleet.ConfigOptions{ICPBinary: icpBinary(t), AgentExtra: fleettest.FastRetry(agentExtra...)})
}

// TestBackupRefusesBeforeStoppingACanisterThatCannotPay, for both
// executors: one child's balance covers its memory's freezing threshold
// but not the threshold with a snapshot plus the backup's calls. backup
// create exits 1 naming that canister, its balance and the estimate, and
// no canister was stopped (the simulator received no stop_canister).
func TestBackupRefusesBeforeStoppingACanisterThatCannotPay(t *testing.T) {
	t.Parallel()
	for _, env := range []string{envAgent, envICP} {
		t.Run(env, func(t *testing.T) {
			t.Parallel()
			const size = 2 << 20
			f := mainnetFleet(t, sim.Options{}, 3, size)
			poor := principal.MustDecode(f.Children[1])
			mem := memoryOf(t, f, poor)
			need := cyclecost.Backup(mem, cyclecost.DefaultFreezingSeconds)
			// Enough to stay unfrozen and answer status (1.5 times the
			// threshold of its memory), not enough for the threshold with
			// a snapshot (twice) plus the calls.
			ft := cyclecost.FreezingThreshold(mem, cyclecost.DefaultFreezingSeconds).Uint64()
			balance := ft + ft/2
			require.Less(t, balance, need.Total().Uint64())
			require.NoError(t, f.Sim.SetCycles(poor, balance))

			out := filepath.Join(f.Dir, "backup")
			r := canic.Run(t, f.Dir, nil, "backup", "create", "--config", f.Config, "--env", env, "--out", out)
			require.Equal(t, 1, r.Code, r.String())
			m := regexp.MustCompile(`canister ` + poor.String() + `: balance (\d+) cycles, estimated need (\d+) cycles`).FindStringSubmatch(r.Stderr)
			require.NotNil(t, m, r.String())
			got, _ := strconv.ParseUint(m[1], 10, 64)
			assert.LessOrEqual(t, got, balance, "the balance as read at preflight (its status reads were charged)")
			assert.Greater(t, got, balance-balance/10)
			assert.Equal(t, need.Total().String(), m[2], "the estimate of docs/drivers.md")
			assert.Equal(t, 1, strings.Count(r.Stderr, "balance "), "only the poor canister is named")
			assert.Contains(t, r.Stderr, "icp canister top-up --amount ")
			assert.Contains(t, r.Stderr, "nothing was stopped")
			assert.Zero(t, f.Sim.Counters().Calls["stop_canister"], "refused before stopping anything")
			all := append([]string{f.Root}, f.Children...)
			assert.Equal(t, allRunning(all...), fleettest.Statuses(t, f.Sim, all...))
		})
	}
}

// memoryOf is the memory size canister_status reports for p, read with
// the agent executor.
func memoryOf(t *testing.T, f *fleet, p principal.Principal) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e, err := agent.New(ctx, agent.Settings{URL: f.Sim.URL(), RootKey: f.Sim.RootKeyHex(), IdentityPEM: f.Sim.ControllerPEMPath()}, hclog.NewNullLogger())
	require.NoError(t, err)
	st, err := e.CanisterStatus(ctx, pluginapi.Target{Network: "local", CanisterID: p.String()})
	require.NoError(t, err)
	require.NotNil(t, st.Cycles, "the simulator reports balances")
	return st.MemorySize
}

// TestRateLimitedBackupSendsNothingInsideRetryAfter: behind a boundary
// node that accepts 20 requests per second, the agent executor backs up a
// root and 7 children; every 429's Retry-After holds back every request of
// the plugin process, so the simulator counts no request inside an
// announced window, and the backup completes and verifies.
func TestRateLimitedBackupSendsNothingInsideRetryAfter(t *testing.T) {
	t.Parallel()
	f := mainnetFleet(t, sim.Options{RateLimit: 20}, 7, 1<<20)
	out := filepath.Join(f.Dir, "backup")
	r := canic.Run(t, f.Dir, nil, "backup", "create", "--config", f.Config, "--env", envAgent, "--out", out)
	require.Equal(t, 0, r.Code, r.String())
	c := f.Sim.Counters()
	assert.Positive(t, c.RateLimited, "the limit was met (else this proves nothing)")
	assert.Zero(t, c.InsideRetryAfter, "no request inside a Retry-After window")
	t.Logf("429 answers: %d, inside a window: %d", c.RateLimited, c.InsideRetryAfter)
	v := canic.Run(t, f.Dir, nil, "backup", "verify", "--dir", out)
	require.Equal(t, 0, v.Code, v.String())
	all := append([]string{f.Root}, f.Children...)
	assert.Equal(t, allRunning(all...), fleettest.Statuses(t, f.Sim, all...))
}

// TestStopLongerThanTheStopTimeoutFailsClosed, for both executors: every
// stop takes longer than the IC's stop timeout (IC0206, the canister stays
// stopping). The stop is retried within its bound, then the run fails
// closed: it exits non-zero naming the canister, starts every canister it
// touched again (start_canister on a stopping canister makes it running),
// records the stop's downtime, and the journal names the canister.
func TestStopLongerThanTheStopTimeoutFailsClosed(t *testing.T) {
	t.Parallel()
	for _, env := range []string{envAgent, envICP} {
		t.Run(env, func(t *testing.T) {
			t.Parallel()
			f := mainnetFleet(t, sim.Options{StopDelay: time.Minute, StopTimeout: 300 * time.Millisecond}, 3, 1<<20)
			out := filepath.Join(f.Dir, "backup")
			r := canic.Run(t, f.Dir, nil, "backup", "create", "--config", f.Config, "--env", env, "--out", out)
			require.NotEqual(t, 0, r.Code, r.String())
			assert.Contains(t, r.Stderr, "stop-timeout", r.String())
			c := f.Sim.Counters()
			assert.Zero(t, c.Calls["take_canister_snapshot"], "no snapshot of a canister that did not stop")
			assert.GreaterOrEqual(t, c.Calls["stop_canister"], uint64(3), "a timed-out stop is retried")
			assert.LessOrEqual(t, c.Calls["stop_canister"], uint64(3*len(f.Children)), "within a bound (3 per canister)")
			all := append([]string{f.Root}, f.Children...)
			assert.Equal(t, allRunning(all...), fleettest.Statuses(t, f.Sim, all...), "no canister left stopped or stopping")

			j := readExecutionJournal(t, out)
			named := ""
			for _, op := range j.Operations {
				if op.State == journal.StateFailed {
					named = strings.Join(op.BlockingReasons, "\n")
				}
			}
			require.NotEmpty(t, named, "the journal records the failed stop")
			assert.Contains(t, named, "stop-timeout")
			assert.Regexp(t, `(`+strings.Join(f.Children, "|")+`)`, named, "the journal names the canister")
			dt, err := os.ReadFile(filepath.Join(out, "backup-downtime.json"))
			require.NoError(t, err, "the downtime of the stop that timed out is recorded")
			assert.Contains(t, string(dt), `"started_at": "`, "and closed by the restart")
		})
	}
}

// TestRestoreRefusesBeforeUploadingToACanisterThatCannotPay, for both
// executors: after a good backup, one target's balance covers its memory's
// freezing threshold but not the threshold with the uploaded snapshot plus
// the upload's and load's fees. restore run --execute exits non-zero
// naming it, its balance and the estimate, before any upload or stop.
func TestRestoreRefusesBeforeUploadingToACanisterThatCannotPay(t *testing.T) {
	t.Parallel()
	for _, env := range []string{envAgent, envICP} {
		t.Run(env, func(t *testing.T) {
			t.Parallel()
			f := mainnetFleet(t, sim.Options{}, 3, 2<<20)
			out, _ := backupFleet(t, f, env)
			jpath := prepareRestore(t, f, out, "r", "")
			poor := principal.MustDecode(f.Children[2])
			mem := memoryOf(t, f, poor)
			ft := cyclecost.FreezingThreshold(mem, cyclecost.DefaultFreezingSeconds).Uint64()
			require.NoError(t, f.Sim.SetCycles(poor, ft+ft/4))
			before := f.Sim.Counters()

			r := restoreRun(t, f, env, jpath, "execute")
			require.Equal(t, 1, r.Code, r.String())
			assert.Contains(t, r.Stderr, "cannot pay for this restore", r.String())
			assert.Regexp(t, `canister `+poor.String()+`: balance \d+ cycles, estimated need \d+ cycles`, r.Stderr)
			assert.Contains(t, r.Stderr, "icp canister top-up --amount ")
			after := f.Sim.Counters()
			for _, m := range []string{"upload_canister_snapshot_metadata", "upload_canister_snapshot_data", "stop_canister", "load_canister_snapshot"} {
				assert.Equal(t, before.Calls[m], after.Calls[m], "no %s before the refusal", m)
			}
			all := append([]string{f.Root}, f.Children...)
			assert.Equal(t, allRunning(all...), fleettest.Statuses(t, f.Sim, all...))
		})
	}
}
