package e2e

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
			f := &fleet{s: s, dir: t.TempDir(), root: s.RootCanister().String()}
			f.cfg = filepath.Join(f.dir, "canic.toml")
			for _, p := range s.Canisters()[1:] {
				f.children = append(f.children, p.String())
			}
			// Default retry_attempts (8): a call refused by a replica that
			// is down fails at once, not after polling until poll_timeout
			// on every attempt. A call in flight when the replica went away
			// has an unknown outcome and is polled until poll_timeout,
			// kept short here (default 5m).
			writeConfig(t, f.cfg, s, icpBinary(t), `poll_timeout = "3s"`)
			before := digests(t, s, f.children...)

			out := filepath.Join(f.dir, "backup")
			began := time.Now()
			cmd, stdout, stderr := command(t, f.dir, nil, "backup", "create", "--config", f.cfg, "--env", env, "--out", out)
			require.Eventually(t, func() bool {
				return s.Counters().Calls["take_canister_snapshot"] > 0
			}, time.Minute, 2*time.Millisecond, "snapshots start")
			require.NoError(t, s.Close(ctx), "the replica goes away")
			r := wait(t, cmd, stdout, stderr)
			took := time.Since(began)
			t.Logf("%s: the failed run took %s", env, took)
			assert.Less(t, took, time.Minute, "a replica that is down fails the run promptly")
			assert.Equal(t, 4, r.code, r.String())
			assert.Contains(t, r.stderr, "backup recover --dir "+out)

			// The replica comes back where it was, with its state.
			opts.Addr = u.Host
			opts.Faults = sim.Faults{}
			ctx2, cancel2 := context.WithTimeout(context.Background(), time.Minute)
			defer cancel2()
			s2, err := sim.Start(ctx2, opts)
			require.NoError(t, err)
			defer func() { _ = s2.Close(context.Background()) }()
			f.s = s2
			st := statuses(t, s2, f.children...)
			assert.NotEqual(t, allRunning(f.children...), st, "the outage left canisters stopped")

			r = cli(t, f.dir, nil, "backup", "recover", "--dir", out, "--config", f.cfg, "--env", env)
			require.Equal(t, 0, r.code, r.String())
			assert.Equal(t, allRunning(f.children...), statuses(t, s2, f.children...))

			r = cli(t, f.dir, nil, "backup", "resume", "--dir", out, "--config", f.cfg, "--env", env, "--retry-failed")
			require.Equal(t, 0, r.code, r.String())
			r = cli(t, f.dir, nil, "backup", "verify", "--dir", out)
			require.Equal(t, 0, r.code, r.String())
			assert.Equal(t, before, digests(t, s2, f.children...))
			assert.Equal(t, allRunning(f.children...), statuses(t, s2, f.children...))
		})
	}
}
