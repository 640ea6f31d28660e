package e2e

import (
	"context"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/canic-backup/canic-backup/sim"
)

// TestKilledMultipartUploadResumes: `backup create --store offsite`
// of a fleet whose artifacts take several 5 MiB parts is SIGKILLed (kill
// point store.part-uploaded in the main process) after its third part
// upload, mid-publish. Its lease (default 2 min TTL) is still unexpired,
// but its holder is a process of this host that no longer exists, so
// `backup resume --store offsite --backup NAME`, with the name of the
// staging directory left behind, takes the lock over at once naming the
// dead pid, completes and publishes. Per multipart upload the killed
// run left, the resume sends exactly the parts the server did not hold
// (listed from the server once the killed client's last requests settled;
// none that the proxy saw finish before the kill), no canister is left
// stopped, and the bucket's backup verifies.
func TestKilledMultipartUploadResumes(t *testing.T) {
	t.Parallel()
	f := startStoreFleet(t, sim.Fleet{Name: "e2e", Children: 2, Depth: 1, Size: 32 << 20, Seed: 11})
	atBackup := fleettest.Digests(t, f.Sim, f.Children...)

	f.proxy.setPhase(1)
	rc := f.start(t, []string{"CANIC_BACKUP_KILLPOINT=main/store.part-uploaded:3"}, f.createArgs()...)
	r := rc.Wait(t)
	require.True(t, fleettest.KilledBySIGKILL(rc.Cmd.ProcessState), "killed at the kill point: %s", r)
	f.proxy.setPhase(2)

	assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...), "the run finished before publishing")
	staging := fleettest.StagingDirs(t, f.cache, storeOffsite)
	require.Len(t, staging, 1, "the killed run's staging directory is left")
	name := filepath.Base(staging[0])
	for n, b := range f.backupsInBucket(t) {
		assert.False(t, b.HasManifest, "backup %s is not published (no manifest) before the resume", n)
	}
	done1 := f.proxy.parts(1, true)
	onServer := f.settledServerParts(t)
	require.NotEmpty(t, onServer, "the killed run left multipart uploads")
	finished := 0
	for _, ns := range done1 {
		finished += len(ns)
	}
	require.GreaterOrEqual(t, finished, 3, "the killed run finished at least 3 parts: %v", done1)

	// The dead run's lease names it and has not expired; the resume takes
	// it over because its pid is gone from this host.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	obj, err := f.direct(t).Get(ctx, "locks/fleet-e2e.json")
	require.NoError(t, err)
	raw, err := io.ReadAll(obj.Body)
	_ = obj.Body.Close()
	require.NoError(t, err)
	var held store.LeaseRecord
	require.NoError(t, wire.Unmarshal(raw, &held))
	assert.Equal(t, rc.Cmd.Process.Pid, held.PID)
	assert.False(t, held.Released)
	expires, err := time.Parse(time.RFC3339Nano, held.ExpiresAt)
	require.NoError(t, err)
	require.True(t, time.Now().Before(expires), "the dead run's lease is still unexpired (%s)", held.ExpiresAt)

	r = f.run(t, nil, "backup", "resume", "--config", f.Config, "--env", envAgent, "--store", storeOffsite, "--backup", name)
	require.Equal(t, 0, r.Code, r.String())
	assert.Contains(t, r.Stderr, "took over lock of a run that no longer exists")
	assert.Contains(t, r.Stderr, "pid "+strconv.Itoa(rc.Cmd.Process.Pid))
	got, _ := published(t, r)
	assert.Equal(t, name, got)
	assert.Empty(t, fleettest.StagingDirs(t, f.cache, storeOffsite), "the staging directory is removed once published")

	sent2 := f.proxy.parts(2, false)
	t.Logf("parts on the server after the kill %v; parts sent by the resume %v", onServer, sent2)
	// Per upload left by the killed run, the resume sent exactly the parts
	// the server did not hold: none again, none skipped.
	resumed := 0
	for id, u := range onServer {
		info, err := f.direct(t).Stat(ctx, strings.TrimPrefix(u.Key, ".canic-incoming/"))
		require.NoError(t, err, "the object of upload %s (%s) is published", id, u.Key)
		var missing []int
		for n := 1; int64(n-1)*partSize < info.Size; n++ {
			if !contains(u.Parts, n) {
				missing = append(missing, n)
			}
		}
		assert.Equal(t, missing, sent2[id], "upload %s of %s (%d bytes): parts on the server before the resume %v", id, u.Key, info.Size, u.Parts)
		assert.Empty(t, intersect(done1[id], sent2[id]), "upload %s: parts finished before the kill uploaded again", id)
		if len(sent2[id]) > 0 && len(u.Parts) > 0 {
			resumed++
		}
	}
	require.Positive(t, resumed, "the resume continued an upload the killed run had started")
	for id := range sent2 {
		_, known := onServer[id]
		assert.True(t, known || f.proxy.count(2, "initiate") > 0, "upload %s is either resumed or started by the resume", id)
	}

	inBucket := f.backupsInBucket(t)
	require.Len(t, inBucket, 1)
	assert.True(t, inBucket[name].HasManifest)
	assert.Equal(t, atBackup, fleettest.Digests(t, f.Sim, f.Children...))
	assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...))

	r = f.run(t, nil, "backup", "verify", "--config", f.Config, "--store", storeOffsite, "--backup", name)
	require.Equal(t, 0, r.Code, r.String())
}

// partSize is the offsite store's part_size_mib in bytes.
const partSize = 5 << 20

func contains(ns []int, n int) bool {
	for _, m := range ns {
		if m == n {
			return true
		}
	}
	return false
}

func intersect(a, b []int) []int {
	var out []int
	for _, n := range a {
		if contains(b, n) {
			out = append(out, n)
		}
	}
	return out
}
