package e2e

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/sim"
)

// TestIssue11KilledMultipartUploadResumes: `backup create --store offsite`
// of a fleet whose artifacts take several 5 MiB parts is SIGKILLed (kill
// point store.part-uploaded in the main process) after its third part
// upload, mid-publish. `backup resume --store offsite --backup NAME`, with
// the name of the staging directory left behind, completes and publishes;
// the proxy in front of SeaweedFS shows that no part the killed run had
// finished was uploaded again (the resumed uploads send exactly the part
// numbers missing), no canister is left stopped, and the bucket's backup
// verifies.
func TestIssue11KilledMultipartUploadResumes(t *testing.T) {
	t.Parallel()
	f := startStoreFleet(t, sim.Fleet{Name: "e2e", Children: 2, Depth: 1, Size: 32 << 20, Seed: 11})
	atBackup := digests(t, f.s, f.children...)

	f.proxy.setPhase(1)
	rc := f.start(t, []string{"CANIC_BACKUP_KILLPOINT=main/store.part-uploaded:3"}, f.createArgs()...)
	r := rc.wait(t)
	ws, ok := rc.cmd.ProcessState.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "killed at the kill point: %s", r)
	f.proxy.setPhase(2)

	assert.Equal(t, allRunning(f.children...), statuses(t, f.s, f.children...), "the run finished before publishing")
	staging := f.stagingDirs(t, f.cache, storeOffsite)
	require.Len(t, staging, 1, "the killed run's staging directory is left")
	name := filepath.Base(staging[0])
	for n, b := range f.backupsInBucket(t) {
		assert.False(t, b.HasManifest, "backup %s is not published (no manifest) before the resume", n)
	}
	done1 := f.proxy.parts(1, true)
	sent1 := f.proxy.parts(1, false)
	finished := 0
	for _, ns := range done1 {
		finished += len(ns)
	}
	require.GreaterOrEqual(t, finished, 3, "the killed run finished at least 3 parts: %v", done1)

	r = f.run(t, nil, "backup", "resume", "--config", f.cfg, "--env", envAgent, "--store", storeOffsite, "--backup", name)
	require.Equal(t, 0, r.code, r.String())
	got, _ := published(t, r)
	assert.Equal(t, name, got)
	assert.Empty(t, f.stagingDirs(t, f.cache, storeOffsite), "the staging directory is removed once published")

	sent2 := f.proxy.parts(2, false)
	resumed := 0
	for id, before := range done1 {
		again, ok := sent2[id]
		if !ok {
			continue // that upload had finished all its parts, or was completed before the kill
		}
		resumed++
		assert.Empty(t, intersect(before, again), "upload %s: parts finished before the kill uploaded again", id)
		// The resumed upload sends exactly the parts the killed run did not finish.
		last := max(maxOf(before), maxOf(again))
		var missing []int
		for n := 1; n <= last; n++ {
			if !contains(before, n) {
				missing = append(missing, n)
			}
		}
		assert.Subset(t, missing, again, "upload %s resumed parts", id)
		for _, n := range missing {
			assert.True(t, contains(again, n) || contains(sent1[id], n),
				"upload %s part %d: neither finished before the kill nor sent by the resume", id, n)
		}
	}
	require.Positive(t, resumed, "the resume continued an upload the killed run started: before %v, after %v", done1, sent2)

	inBucket := f.backupsInBucket(t)
	require.Len(t, inBucket, 1)
	assert.True(t, inBucket[name].HasManifest)
	assert.Equal(t, atBackup, digests(t, f.s, f.children...))
	assert.Equal(t, allRunning(f.children...), statuses(t, f.s, f.children...))

	r = f.run(t, nil, "backup", "verify", "--config", f.cfg, "--store", storeOffsite, "--backup", name)
	require.Equal(t, 0, r.code, r.String())
}

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

func maxOf(ns []int) int {
	m := 0
	for _, n := range ns {
		m = max(m, n)
	}
	return m
}
