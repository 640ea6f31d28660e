package e2e

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/canic-backup/canic-backup/sim"
)

// TestTwoHostsContendForFleetLease: two `backup create --store
// offsite` processes of one fleet, started together with the host
// identities host-a and host-b (each with its own cache directory, as on
// two machines), contend for the fleet's lease lock in the bucket: exactly
// one runs and publishes; the other exits non-zero naming the holder's
// host, pid and start time. The bucket holds exactly one backup and every
// canister runs. Then a lease left by a host-x whose expiry passed is
// taken over by the next create (its store named by $CANIC_BACKUP_STORE),
// which logs the takeover naming host-x.
func TestTwoHostsContendForFleetLease(t *testing.T) {
	t.Parallel()
	f := startStoreFleet(t, sim.Fleet{Name: "e2e", Children: 3, Depth: 1, Size: 1 << 20, Seed: 5})
	// Slow update calls so the two runs overlap by seconds.
	f.Sim.SetFaults(sim.Faults{UpdateLatency: 300 * time.Millisecond})

	hosts := []string{"host-a", "host-b"}
	runs := make([]*fleettest.Running, len(hosts))
	for i, h := range hosts {
		runs[i] = f.start(t, []string{"CANIC_BACKUP_HOST=" + h, "XDG_CACHE_HOME=" + filepath.Join(f.Dir, "cache-"+h)}, f.createArgs()...)
	}
	results := make([]result, len(hosts))
	for i, rc := range runs {
		results[i] = rc.Wait(t)
	}
	f.Sim.SetFaults(sim.Faults{})

	winner, loser := -1, -1
	for i, r := range results {
		if r.Code == 0 {
			require.Equal(t, -1, winner, "both runs succeeded:\n%s\n%s", results[0], results[1])
			winner = i
		} else {
			loser = i
		}
	}
	require.NotEqual(t, -1, winner, "neither run succeeded:\n%s\n%s", results[0], results[1])
	require.NotEqual(t, -1, loser)
	name, _ := published(t, results[winner])
	lr := results[loser]
	assert.Equal(t, 1, lr.Code, lr.String())
	holder := regexp.MustCompile(`host ` + regexp.QuoteMeta(hosts[winner]) + ` pid ` + strconv.Itoa(runs[winner].Cmd.Process.Pid) +
		` since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d`)
	assert.Regexp(t, holder, lr.Stderr, "the refusal names the holder's host, pid and start time")
	assert.NotContains(t, lr.Stdout+lr.Stderr, "published")
	assert.Empty(t, fleettest.StagingDirs(t, filepath.Join(f.Dir, "cache-"+hosts[loser]), storeOffsite), "the refused run staged nothing")

	inBucket := f.backupsInBucket(t)
	require.Len(t, inBucket, 1, "%v", inBucket)
	assert.True(t, inBucket[name].HasManifest)
	assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...))

	// A lease of host-x that expired an hour ago is taken over.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	past := func() time.Time { return time.Now().Add(-time.Hour) }
	_, err := archive.LockFleet(ctx, f.direct(t), "e2e", store.LeaseOptions{Host: "host-x", PID: 4242, Purpose: "backup create", TTL: time.Second, Now: past})
	require.NoError(t, err)
	// This run names its store through the environment variable.
	r := f.run(t, []string{"CANIC_BACKUP_HOST=host-c", "CANIC_BACKUP_STORE=" + storeOffsite},
		"backup", "create", "--config", f.Config, "--env", envAgent)
	require.Equal(t, 0, r.Code, r.String())
	assert.Regexp(t, `took over expired lock .*held by host host-x pid 4242 since `, r.Stderr)
	second, _ := published(t, r)
	assert.NotEqual(t, name, second)
	assert.Len(t, f.backupsInBucket(t), 2)
	assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...))
}
