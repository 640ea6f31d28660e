package e2e

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/canic-backup/canic-backup/internal/simfleet"
	"github.com/canic-backup/canic-backup/sim"
)

// TestReplicaOutageMidBackup, for the agent and the icp executor: the
// simulator's HTTP goes away after every child was stopped (while
// snapshots are being taken), so the run fails and cannot start the
// stopped canisters again. The run exits 4 (needs attention) naming
// `backup recover`; once the replica is back (same port, same state),
// `backup recover` starts them and `backup resume --retry-failed` completes
// a backup that verifies.
func TestReplicaOutageMidBackup(t *testing.T) {
	t.Parallel()
	for _, env := range []string{envAgent, envICP} {
		t.Run(env, func(t *testing.T) {
			t.Parallel()
			state := t.TempDir()
			opts := sim.Options{
				StateDir: state,
				Fleet:    sim.Fleet{Name: "e2e", Children: 3, Depth: 1, Size: 1 << 20, Seed: 7},
				Faults:   sim.Faults{UpdateLatency: 150 * time.Millisecond},
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			s, err := sim.Start(ctx, opts)
			require.NoError(t, err)
			defer func() { _ = s.Close(context.Background()) }()
			u, err := url.Parse(s.URL())
			require.NoError(t, err)
			// Default retry_attempts (8): a call refused by a replica that
			// is down fails at once, not after polling until poll_timeout
			// on every attempt. A call in flight when the replica went away
			// has an unknown outcome and is polled until poll_timeout,
			// kept short here (default 5m).
			f := fleettest.Adopt(t, s, "e2e", simfleet.ConfigOptions{ICPBinary: icpBinary(t), AgentExtra: fleettest.FastRetry(`poll_timeout = "3s"`)})
			before := fleettest.Digests(t, s, f.Children...)

			out := filepath.Join(f.Dir, "backup")
			began := time.Now()
			cmd, stdout, stderr := canic.Command(t, f.Dir, nil, "backup", "create", "--config", f.Config, "--env", env, "--out", out)
			require.Eventually(t, func() bool {
				return s.Counters().Calls["take_canister_snapshot"] > 0
			}, time.Minute, 2*time.Millisecond, "snapshots start")
			require.NoError(t, s.Close(ctx), "the replica goes away")
			r := fleettest.Wait(t, cmd, stdout, stderr)
			took := time.Since(began)
			t.Logf("%s: the failed run took %s", env, took)
			assert.Less(t, took, time.Minute, "a replica that is down fails the run promptly")
			assert.Equal(t, 4, r.Code, r.String())
			assert.Contains(t, r.Stderr, "backup recover --dir "+out)

			// The replica comes back where it was, with its state.
			opts.Addr = u.Host
			opts.Faults = sim.Faults{}
			ctx2, cancel2 := context.WithTimeout(context.Background(), time.Minute)
			defer cancel2()
			s2, err := sim.Start(ctx2, opts)
			require.NoError(t, err)
			defer func() { _ = s2.Close(context.Background()) }()
			f.Sim = s2
			st := fleettest.Statuses(t, s2, f.Children...)
			assert.NotEqual(t, allRunning(f.Children...), st, "the outage left canisters stopped")

			r = canic.Run(t, f.Dir, nil, "backup", "recover", "--dir", out, "--config", f.Config, "--env", env)
			require.Equal(t, 0, r.Code, r.String())
			assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, s2, f.Children...))

			r = canic.Run(t, f.Dir, nil, "backup", "resume", "--dir", out, "--config", f.Config, "--env", env, "--retry-failed")
			require.Equal(t, 0, r.Code, r.String())
			r = canic.Run(t, f.Dir, nil, "backup", "verify", "--dir", out)
			require.Equal(t, 0, r.Code, r.String())
			assert.Equal(t, before, fleettest.Digests(t, s2, f.Children...))
			assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, s2, f.Children...))
		})
	}
}
