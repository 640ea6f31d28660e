package crashtest

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/canic-backup/canic-backup/sim"
)

// TestFaultySubnet: with transient rejects, lost responses (executed, not
// answered) and slow update calls, a backup and a restore through each
// built-in executor end complete, or with an error naming the command to
// run next, which then completes them; no canister is left stopped, no
// canister holds more snapshots than after a fault-free run, and every
// state digest comes back.
func TestFaultySubnet(t *testing.T) {
	faults := sim.Faults{TransientRejectRate: 0.15, LostResponseRate: 0.1, UpdateLatency: 5 * time.Millisecond, Seed: 99}
	for _, env := range []string{envAgent, envICP} {
		t.Run(env, func(t *testing.T) {
			t.Parallel()
			f := startFleet(t)
			before := fleettest.Digests(t, f.Sim, f.Children...)
			out := filepath.Join(f.Dir, "backup")
			create := []string{"backup", "create", "--config", f.Config, "--env", env, "--out", out}
			f.Sim.SetFaults(faults)
			r := canic.Run(t, f.Dir, nil, create...)
			commands := 1
			for ; r.Code != 0; commands++ {
				require.Less(t, commands, 10, "the backup did not complete in 10 commands:\n%s", r)
				r = canic.Run(t, f.Dir, nil, backupNext(t, f, env, out, r, create)...)
			}
			c := f.Sim.Counters()
			f.Sim.SetFaults(sim.Faults{})
			assert.Empty(t, stopped(t, f.Sim, f.Children...))
			v := canic.Run(t, f.Dir, nil, "backup", "verify", "--dir", out)
			require.Equal(t, 0, v.Code, v.String())
			for id, n := range snapshots(t, f.Sim, f.Children...) {
				assert.Equal(t, 1, n, "one snapshot of %s despite %d lost responses", id, c.LostResponses)
			}

			g := startFleet(t)
			_, jpath := prepareRestore(t, g, out)
			g.Sim.SetFaults(faults)
			rcommands := finishRestore(t, g, env, jpath)
			rc := g.Sim.Counters()
			g.Sim.SetFaults(sim.Faults{})
			assert.Equal(t, before, fleettest.Digests(t, g.Sim, g.Children...))
			assert.Empty(t, stopped(t, g.Sim, g.Children...))
			for id, n := range snapshots(t, g.Sim, g.Children...) {
				assert.Equal(t, 1, n, "one uploaded snapshot of %s", id)
			}
			assert.Positive(t, c.TransientRejects+rc.TransientRejects)
			assert.Positive(t, c.LostResponses+rc.LostResponses)
			fmt.Printf("faults %s: backup in %d commands (%d rejects, %d lost), restore in %d commands (%d rejects, %d lost)\n",
				env, commands, c.TransientRejects, c.LostResponses, rcommands, rc.TransientRejects, rc.LostResponses)
		})
	}
}
