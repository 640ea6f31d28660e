package runner_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/runner/memexec"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/golden"
)

// Golden fixture (reference Appendix B).
const (
	rootID = "r7inp-6aaaa-aaaaa-aaabq-cai"
	appID  = "renrk-eyaaa-aaaaa-aaada-cai"
	hubID  = "rno2w-sqaaa-aaaaa-aaacq-cai"
)

var goldenClock = func() time.Time { return time.Unix(1778594400, 0) }

// goldenExecutor is a memexec with the golden run's snapshot ids.
func goldenExecutor() *memexec.Executor {
	e := memexec.New()
	e.SetSnapshotID(rootID, "0000000000000000ffffffffff9000010101")
	e.SetSnapshotID(appID, "0000000000000001ffffffffffc000020101")
	e.SetSnapshotID(hubID, "0000000000000002ffffffffffc000040101")
	return e
}

// goldenDir returns a temp backup directory holding the golden initial plan.
func goldenDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, runner.PlanFile), golden.Read(t, "backup/extra/initial.backup-plan.json"))
	return dir
}

func goldenConfig(dir string) runner.Config {
	return runner.Config{Dir: dir, Clock: goldenClock, ToolName: "canic", ToolVersion: "0.35.1"}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := wire.MarshalPretty(v)
	require.NoError(t, err)
	return string(b)
}

func readExecution(t *testing.T, dir string) *journal.BackupExecutionJournal {
	t.Helper()
	j, err := journal.DecodeExecutionJournal([]byte(readFile(t, filepath.Join(dir, runner.ExecutionJournalFile))))
	require.NoError(t, err)
	return j
}

func readDownload(t *testing.T, dir string) *journal.DownloadJournal {
	t.Helper()
	j, err := journal.DecodeDownloadJournal([]byte(readFile(t, filepath.Join(dir, runner.DownloadJournalFile))))
	require.NoError(t, err)
	return j
}

// TestFullRunReproducesGoldenLayout runs the golden initial plan to
// completion and compares every layout document with 0.35.1's.
func TestFullRunReproducesGoldenLayout(t *testing.T) {
	dir := goldenDir(t)
	exec := goldenExecutor()
	resp, err := runner.Run(context.Background(), goldenConfig(dir), exec)
	require.NoError(t, err)
	assert.True(t, resp.Complete)
	assert.False(t, resp.MaxStepsReached)
	assert.EqualValues(t, 16, resp.ExecutedOperationCount)

	for _, name := range []string{runner.PlanFile, runner.ExecutionJournalFile, runner.ManifestFile} {
		assert.Equal(t, string(golden.Read(t, "backup/"+name)), readFile(t, filepath.Join(dir, name)), name)
	}
	// The download journal differs from 0.35.1 only in the step counters,
	// which this port maintains (docs/compat.md).
	got := readDownload(t, dir)
	want, err := journal.DecodeDownloadJournal(golden.Read(t, "backup/download-journal.json"))
	require.NoError(t, err)
	assert.EqualValues(t, 3, got.OperationMetrics.SnapshotDownloadCompleted)
	assert.EqualValues(t, 3, got.OperationMetrics.ArtifactFinalizeCompleted)
	got.OperationMetrics = want.OperationMetrics
	assert.Equal(t, marshal(t, want), marshal(t, got))

	// The executor saw 0.35.1's command sequence (extra/icp-command-log.txt).
	assert.Equal(t, []string{
		"status:" + rootID, "status:" + appID, "status:" + hubID, "preflight",
		"stop:" + rootID, "stop:" + appID, "stop:" + hubID,
		"snapshot:" + rootID, "snapshot:" + appID, "snapshot:" + hubID,
		"start:" + hubID, "start:" + appID, "start:" + rootID,
		"download:" + rootID + ":0000000000000000ffffffffff9000010101",
		"download:" + appID + ":0000000000000001ffffffffffc000020101",
		"download:" + hubID + ":0000000000000002ffffffffffc000040101",
	}, exec.Calls())
	assert.Empty(t, exec.Stopped())
	assert.NoFileExists(t, filepath.Join(dir, runner.LockFile))
	for _, id := range []string{rootID, appID, hubID} {
		assert.DirExists(t, filepath.Join(dir, id))
		assert.NoDirExists(t, filepath.Join(dir, id+".tmp"))
	}
}

// TestMaxStepsRunResumes pauses after 10 operations (golden partial.*) and
// resumes to the golden final response.
func TestMaxStepsRunResumes(t *testing.T) {
	dir := goldenDir(t)
	exec := goldenExecutor()
	cfg := goldenConfig(dir)
	cfg.MaxSteps = 10
	resp, err := runner.Run(context.Background(), cfg, exec)
	require.NoError(t, err)
	assert.True(t, resp.MaxStepsReached)
	assert.False(t, resp.Complete)
	assert.Equal(t, string(golden.Read(t, "backup/extra/partial.backup-run-response.json")), marshal(t, resp))
	assert.Equal(t, string(golden.Read(t, "backup/extra/partial.backup-execution-journal.json")),
		readFile(t, filepath.Join(dir, runner.ExecutionJournalFile)))
	dj := readDownload(t, dir)
	require.Len(t, dj.Artifacts, 3)
	assert.Equal(t, journal.ArtifactDownloaded, dj.Artifacts[0].State)
	assert.Equal(t, journal.ArtifactCreated, dj.Artifacts[1].State)

	cfg.MaxSteps = 0
	resp, err = runner.Run(context.Background(), cfg, exec)
	require.NoError(t, err)
	assert.True(t, resp.Complete)
	assert.Equal(t, string(golden.Read(t, "backup/extra/backup-run-response.json")), marshal(t, resp))
	assert.Equal(t, string(golden.Read(t, "backup/fleet-backup-manifest.json")), readFile(t, filepath.Join(dir, runner.ManifestFile)))
}

// TestResumeFromAnotherWorkingDirectory: the temp path recorded by a paused
// run is relative to the working directory it ran in; the resume must not
// depend on it (0.35.1 quirk 7).
func TestResumeFromAnotherWorkingDirectory(t *testing.T) {
	base := t.TempDir()
	abs := filepath.Join(base, "backups", "b1")
	writeFile(t, filepath.Join(abs, runner.PlanFile), golden.Read(t, "backup/extra/initial.backup-plan.json"))
	t.Chdir(base)
	cfg := goldenConfig(filepath.Join("backups", "b1"))
	cfg.MaxSteps = 13 // up to the first download
	exec := goldenExecutor()
	_, err := runner.Run(context.Background(), cfg, exec)
	require.NoError(t, err)
	dj := readDownload(t, abs)
	require.NotNil(t, dj.Artifacts[0].TempPath)
	assert.Equal(t, rootID+".tmp", *dj.Artifacts[0].TempPath)

	t.Chdir(t.TempDir())
	resp, err := runner.Run(context.Background(), goldenConfig(abs), exec)
	require.NoError(t, err)
	assert.True(t, resp.Complete)
}

// TestFailedRunIsRecordedRestartedAndRetried: a failing create-snapshot is
// recorded with 0.35.1's error text, the stopped canisters are started
// again and the journal says so; a plain resume refuses; a retry re-stops
// the canisters and completes.
func TestFailedRunIsRecordedRestartedAndRetried(t *testing.T) {
	dir := goldenDir(t)
	exec := goldenExecutor()
	exec.FailNext("snapshot:"+appID, &runner.CommandError{
		Status:  "icp",
		Message: "icp command failed: icp canister snapshot create " + appID + " --quiet -n local\nError: canister is not stopped",
	})
	resp, err := runner.Run(context.Background(), goldenConfig(dir), exec)
	require.Error(t, err)
	assert.Equal(t, string(golden.Read(t, "backup/extra/failed-run.error.txt")), err.Error())
	var cf *runner.CommandFailedError
	require.ErrorAs(t, err, &cf)
	assert.EqualValues(t, 8, cf.Sequence)
	require.NotNil(t, resp)
	last := resp.ExecutedOperations[len(resp.ExecutedOperations)-1]
	assert.Equal(t, runner.OutcomeFailed, last.Outcome)
	assert.Equal(t, "CreateSnapshot", last.Kind)

	// Nothing is left stopped, and the journal records both the failure and
	// the restarts.
	assert.Empty(t, exec.Stopped())
	j := readExecution(t, dir)
	op := j.Operation(8)
	require.NotNil(t, op)
	assert.Equal(t, journal.StateFailed, op.State)
	assert.Equal(t, []string{
		err.Error(),
		runner.RestartedReasonPrefix + hubID,
		runner.RestartedReasonPrefix + appID,
		runner.RestartedReasonPrefix + rootID,
	}, op.BlockingReasons)
	dj := readDownload(t, dir)
	require.Len(t, dj.Artifacts, 1)
	assert.Equal(t, rootID, dj.Artifacts[0].CanisterID)

	// Resuming without --retry-failed touches nothing.
	calls := len(exec.Calls())
	_, err = runner.Run(context.Background(), goldenConfig(dir), exec)
	var fo *runner.FailedOperationError
	require.ErrorAs(t, err, &fo)
	assert.EqualValues(t, 8, fo.Sequence)
	assert.Len(t, exec.Calls(), calls)

	// The CLI-style retry re-stops the restarted canisters, then retries.
	cfg := goldenConfig(dir)
	cfg.RetryFailed = true
	resp, err = runner.Run(context.Background(), cfg, exec)
	require.NoError(t, err)
	assert.True(t, resp.Complete)
	assert.EqualValues(t, 12, resp.ExecutedOperationCount)
	assert.Equal(t, []string{"stop:" + hubID, "stop:" + appID, "stop:" + rootID, "snapshot:" + appID},
		exec.Calls()[calls:calls+4])
	assert.Empty(t, exec.Stopped())
	j = readExecution(t, dir)
	assert.False(t, j.RestartRequired)
	var seq8 []journal.ReceiptOutcome
	for _, r := range j.OperationReceipts {
		if r.Sequence == 8 {
			seq8 = append(seq8, r.Outcome)
		}
	}
	assert.Equal(t, []journal.ReceiptOutcome{journal.OutcomeFailed, journal.OutcomeCompleted}, seq8)
	assert.FileExists(t, filepath.Join(dir, runner.ManifestFile))
}

// cancellingExecutor cancels the run's context while taking a snapshot, as
// a SIGINT would.
type cancellingExecutor struct {
	*memexec.Executor
	cancel context.CancelFunc
}

func (c cancellingExecutor) CreateSnapshot(ctx context.Context, id string) (string, error) {
	c.cancel()
	return "", ctx.Err()
}

func TestInterruptedRunRestartsStoppedCanisters(t *testing.T) {
	dir := goldenDir(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exec := cancellingExecutor{Executor: goldenExecutor(), cancel: cancel}
	_, err := runner.Run(ctx, goldenConfig(dir), exec)
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, exec.Stopped())
	j := readExecution(t, dir)
	assert.Equal(t, journal.StateFailed, j.Operation(7).State)
	assert.Contains(t, j.Operation(7).BlockingReasons, runner.RestartedReasonPrefix+rootID)
}

// TestUnrestartableCanisterStaysRecordedStopped: when the compensation
// cannot start a canister, the error says so and the journal still shows
// it stopped (stop completed, no restart marker).
func TestUnrestartableCanisterStaysRecordedStopped(t *testing.T) {
	dir := goldenDir(t)
	exec := goldenExecutor()
	exec.FailNext("snapshot:"+rootID, errors.New("boom"))
	exec.FailNext("start:"+appID, errors.New("start refused"))
	_, err := runner.Run(context.Background(), goldenConfig(dir), exec)
	var re *runner.RestartError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, []string{appID}, re.CanisterIDs)
	assert.Equal(t, []string{appID}, exec.Stopped())
	j := readExecution(t, dir)
	assert.True(t, j.RestartRequired)
	assert.NotContains(t, j.Operation(7).BlockingReasons, runner.RestartedReasonPrefix+appID)
	assert.Contains(t, j.Operation(7).BlockingReasons, runner.RestartedReasonPrefix+rootID)
}

func TestLockedDirectoryIsRefused(t *testing.T) {
	dir := goldenDir(t)
	held, err := layout.New(dir).AcquireLock(context.Background(), layout.LockOptions{})
	require.NoError(t, err)
	exec := goldenExecutor()
	_, err = runner.Run(context.Background(), goldenConfig(dir), exec)
	require.ErrorIs(t, err, runner.ErrLocked)
	assert.Contains(t, err.Error(), runner.LockFile)
	assert.Empty(t, exec.Calls())
	assert.NoFileExists(t, filepath.Join(dir, runner.ExecutionJournalFile))
	require.NoError(t, held.Release())

	// A lock file left by a dead 0.35.1 run does not block the run.
	writeFile(t, filepath.Join(dir, runner.LockFile), []byte("pid=1\n"))
	resp, err := runner.Run(context.Background(), goldenConfig(dir), exec)
	require.NoError(t, err)
	assert.True(t, resp.Complete)
	assert.NoFileExists(t, filepath.Join(dir, runner.LockFile))
}

func TestPreflightFailureTouchesNothing(t *testing.T) {
	dir := goldenDir(t)
	exec := goldenExecutor()
	exec.FailNext("preflight", &runner.CommandError{Status: "preflight", Message: "registry unavailable"})
	_, err := runner.Run(context.Background(), goldenConfig(dir), exec)
	var pf *runner.PreflightFailedError
	require.ErrorAs(t, err, &pf)
	assert.Equal(t, "backup preflight failed: preflight: registry unavailable", err.Error())
	assert.Equal(t, string(golden.Read(t, "backup/extra/initial.backup-execution-journal.json")),
		readFile(t, filepath.Join(dir, runner.ExecutionJournalFile)))
	assert.Equal(t, string(golden.Read(t, "backup/extra/initial.backup-plan.json")),
		readFile(t, filepath.Join(dir, runner.PlanFile)))
}

func TestTopologyDriftIsRejectedAtPreflight(t *testing.T) {
	dir := goldenDir(t)
	exec := goldenExecutor()
	exec.SetTopologyHashAtPreflight(strings.Repeat("f", 64))
	_, err := runner.Run(context.Background(), goldenConfig(dir), exec)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "topology preflight hash drifted")
	assert.False(t, readExecution(t, dir).PreflightAccepted)
	assert.NotContains(t, strings.Join(exec.Calls(), ","), "stop:")
}

// TestFinalizeAfterInterruptedRename: a crash between finalize's rename and
// its journal write leaves the artifact in place; the resume accepts it
// (0.35.1 failed with "artifact path already exists").
func TestFinalizeAfterInterruptedRename(t *testing.T) {
	dir := goldenDir(t)
	cfg := goldenConfig(dir)
	cfg.MaxSteps = 15 // everything but finalize-manifest
	_, err := runner.Run(context.Background(), cfg, goldenExecutor())
	require.NoError(t, err)
	require.NoError(t, os.Rename(filepath.Join(dir, appID+".tmp"), filepath.Join(dir, appID)))
	cfg.MaxSteps = 0
	resp, err := runner.Run(context.Background(), cfg, goldenExecutor())
	require.NoError(t, err)
	assert.True(t, resp.Complete)
	assert.Equal(t, string(golden.Read(t, "backup/fleet-backup-manifest.json")), readFile(t, filepath.Join(dir, runner.ManifestFile)))
}

// TestFinalizeRefusesForeignArtifact: a destination that is not the
// verified artifact is never overwritten.
func TestFinalizeRefusesForeignArtifact(t *testing.T) {
	dir := goldenDir(t)
	cfg := goldenConfig(dir)
	cfg.MaxSteps = 15
	_, err := runner.Run(context.Background(), cfg, goldenExecutor())
	require.NoError(t, err)
	writeFile(t, filepath.Join(dir, appID), []byte("not the artifact"))
	cfg.MaxSteps = 0
	_, err = runner.Run(context.Background(), cfg, goldenExecutor())
	require.ErrorIs(t, err, runner.ErrArtifactExists)
	assert.Contains(t, err.Error(), filepath.Join(dir, appID))
	assert.Equal(t, "not the artifact", readFile(t, filepath.Join(dir, appID)))
}
