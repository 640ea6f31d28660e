package runner_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/registry"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/runner/memexec"
	"github.com/canic-backup/canic-backup/core/wire"
)

// Checklist fixtures (reference §10).
const (
	checkRoot = "aaaaa-aa"
	checkApp  = "renrk-eyaaa-aaaaa-aaada-cai"
)

// TestRunnerExecutesPlanAndFinalizesManifest is 0.35.1's
// runner_executes_plan_and_finalizes_manifest: a subtree(APP) plan runs to
// completion with 6 executed operations, the layout holds one durable
// artifact under backup id run-test, and the executor saw exactly status,
// stop, snapshot, start and download of APP.
func TestRunnerExecutesPlanAndFinalizesManifest(t *testing.T) {
	p, err := plan.Create(plan.CreateInput{
		Fleet:          "test",
		Network:        "local",
		RootCanisterID: checkRoot,
		PlanID:         "plan-test",
		Subtree:        checkApp,
		Registry: []registry.Entry{
			{Pid: checkRoot, Role: plan.Str("root")},
			{Pid: checkApp, Role: plan.Str("app"), ParentPid: plan.Str(checkRoot)},
		},
	})
	require.NoError(t, err)
	dir := t.TempDir()
	b, err := wire.MarshalPretty(p)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, runner.PlanFile), b, 0o644))

	exec := memexec.New()
	exec.SetSnapshotID(checkApp, "snap-app")
	resp, err := runner.Run(context.Background(), runner.Config{Dir: dir, Clock: goldenClock}, exec)
	require.NoError(t, err)
	assert.True(t, resp.Complete)
	assert.EqualValues(t, 6, resp.ExecutedOperationCount)
	assert.Equal(t, "run-test", resp.BackupID)
	assert.Equal(t, []string{
		"status:" + checkApp, "preflight", "stop:" + checkApp, "snapshot:" + checkApp,
		"start:" + checkApp, "download:" + checkApp + ":snap-app",
	}, exec.Calls())

	m, err := manifest.DecodeValid([]byte(readFile(t, filepath.Join(dir, runner.ManifestFile))))
	require.NoError(t, err)
	assert.Equal(t, "run-test", m.BackupID)
	require.Len(t, m.Fleet.Members, 1)
	assert.Equal(t, "snap-app", m.Fleet.Members[0].SourceSnapshot.SnapshotID)
	assert.Equal(t, manifest.UnitSingle, m.Consistency.BackupUnits[0].Kind)
	dj := readDownload(t, dir)
	require.Len(t, dj.Artifacts, 1)
	assert.Equal(t, dj.Artifacts[0].Checksum, m.Fleet.Members[0].SourceSnapshot.Checksum)
	assert.DirExists(t, filepath.Join(dir, checkApp))
}
