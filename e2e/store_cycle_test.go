package e2e

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/canic-backup/canic-backup/sim"
)

// TestStoreBackupVerifyRestoreThroughSeaweedFS: through the agent
// executor, `backup create --store offsite` backs the simulator's fleet up
// into a bucket of a real SeaweedFS server (staged locally, then
// published; the staging directory is gone afterwards). `backup list`
// shows it complete, `backup verify` reads it from the bucket (all
// artifacts, and a seeded 50% sample), and after every canister's state
// changed, restore plan → apply → run from the bucket brings every state
// digest back to its backup-time value with every canister running.
func TestStoreBackupVerifyRestoreThroughSeaweedFS(t *testing.T) {
	t.Parallel()
	f := startStoreFleet(t, sim.Fleet{Name: "e2e", Children: 3, Depth: 1, Size: 2 << 20, Seed: 7})
	atBackup := fleettest.Digests(t, f.Sim, f.Children...)

	r := f.run(t, nil, f.createArgs()...)
	require.Equal(t, 0, r.Code, r.String())
	name, objects := published(t, r)
	assert.Regexp(t, `^fleet-e2e-\d{8}-\d{6}$`, name)
	assert.Contains(t, r.Stdout+r.Stderr, "s3://"+f.bucket+"/"+f.prefix)
	assert.Empty(t, fleettest.StagingDirs(t, f.cache, storeOffsite), "the staging directory is removed once published")
	assert.Equal(t, atBackup, fleettest.Digests(t, f.Sim, f.Children...), "a backup changes no state")
	assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...))
	inBucket := f.backupsInBucket(t)
	require.Len(t, inBucket, 1, "%v", inBucket)
	assert.True(t, inBucket[name].HasManifest)
	assert.Equal(t, objects, inBucket[name].Objects, "the published line counts the bucket's objects")
	assert.Positive(t, f.proxy.count(-1, "put")+f.proxy.count(-1, "part"), "the backup went through the proxy")

	r = f.run(t, nil, "backup", "list", "--config", f.Config, "--store", storeOffsite)
	require.Equal(t, 0, r.Code, r.String())
	assert.Regexp(t, `(?m)s3://`+f.bucket+"/"+f.prefix+name+`\s+run-\S+\s+e2e\s+.*\s3\s+ok$`, r.Stdout, "listed, 3 members, complete")

	r = f.run(t, nil, "backup", "verify", "--config", f.Config, "--store", storeOffsite, "--backup", name)
	require.Equal(t, 0, r.Code, r.String())

	gets := f.proxy.count(-1, "get")
	r = f.run(t, nil, "backup", "verify", "--config", f.Config, "--store", storeOffsite, "--backup", name,
		"--sample", "50", "--seed", "7", "--json")
	require.Equal(t, 0, r.Code, r.String())
	var rep struct {
		Sampled int     `json:"sampled_artifacts"`
		Total   int     `json:"total_artifacts"`
		Percent float64 `json:"sample_percent"`
		Seed    int64   `json:"seed"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.Stdout), &rep), r.String())
	assert.Equal(t, len(f.Children), rep.Total)
	assert.Equal(t, 2, rep.Sampled, "50%% of 3 artifacts, rounded up")
	assert.Equal(t, int64(7), rep.Seed)
	assert.Greater(t, f.proxy.count(-1, "get"), gets, "verify read from the bucket")

	mutateAll(t, f.Sim, atBackup)

	plan := filepath.Join(f.Dir, "restore-plan.json")
	r = f.run(t, nil, "restore", "plan", "--config", f.Config, "--store", storeOffsite, "--backup", name,
		"--out", plan, "--require-restore-ready")
	require.Equal(t, 0, r.Code, r.String())
	jpath := filepath.Join(f.Dir, "restore-journal.json")
	r = f.run(t, nil, "restore", "apply", "--config", f.Config, "--store", storeOffsite, "--backup", name, "--plan", plan,
		"--dry-run", "--out", filepath.Join(f.Dir, "restore-dry-run.json"), "--journal-out", jpath)
	require.Equal(t, 0, r.Code, r.String())
	j := readRestoreJournal(t, jpath)
	require.True(t, j.Ready, "journal blocked: %v", j.BlockedReasons)
	require.Equal(t, 15, j.OperationCount, "3 members: upload, stop, load, start, verify each")

	r = f.run(t, nil, "restore", "run", "--journal", jpath, "--execute", "--config", f.Config, "--env", envAgent,
		"--store", storeOffsite, "--backup", name, "--require-complete")
	require.Equal(t, 0, r.Code, r.String())
	assert.Contains(t, r.Stdout, "15/15 operations completed")
	assert.Equal(t, atBackup, fleettest.Digests(t, f.Sim, f.Children...), "every member is back at its backup-time state")
	assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...))
}
