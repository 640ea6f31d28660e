package runner_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/internal/golden"
)

// TestResumesA035FailedRun resumes the failed run 0.35.1 wrote (golden
// failed-run.*: create-snapshot of app failed, every canister left
// stopped, no restart markers) with an explicit retry, and reproduces
// 0.35.1's resumed response.
func TestResumesA035FailedRun(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, runner.PlanFile), golden.Read(t, "backup/backup-plan.json"))
	writeFile(t, filepath.Join(dir, runner.ExecutionJournalFile), golden.Read(t, "backup/extra/failed-run.backup-execution-journal.json"))
	writeFile(t, filepath.Join(dir, runner.DownloadJournalFile), golden.Read(t, "backup/extra/failed-run.download-journal.json"))
	exec := goldenExecutor()
	exec.AddSnapshot(rootID, "0000000000000000ffffffffff9000010101")
	for _, id := range []string{rootID, appID, hubID} {
		exec.SetStopped(id)
	}
	cfg := goldenConfig(dir)
	cfg.RetryFailed = true
	resp, err := runner.Run(context.Background(), cfg, exec)
	require.NoError(t, err)
	assert.Equal(t, string(golden.Read(t, "backup/extra/failed-run.resumed.backup-run-response.json")), marshal(t, resp))
	assert.Equal(t, string(golden.Read(t, "backup/extra/failed-run.resumed.backup-execution-journal.json")),
		readFile(t, filepath.Join(dir, runner.ExecutionJournalFile)))
	assert.Empty(t, exec.Stopped())
	assert.Equal(t, "snapshot:"+appID, exec.Calls()[0], "no re-stop: 0.35.1 never restarted them")
}

// TestResumeReexecutesPendingOperation: an operation left pending by a
// crash is executed again without being re-marked (at-least-once).
func TestResumeReexecutesPendingOperation(t *testing.T) {
	dir := goldenDir(t)
	exec := goldenExecutor()
	cfg := goldenConfig(dir)
	cfg.MaxSteps = 4 // preflight + the three stops + the first snapshot
	_, err := runner.Run(context.Background(), cfg, exec)
	require.NoError(t, err)

	// Simulate a crash right after marking the next operation pending.
	j := readExecution(t, dir)
	at := "unix:1778594400"
	require.NoError(t, j.MarkNextOperationPendingAt(&at))
	b, err := j.Encode()
	require.NoError(t, err)
	writeFile(t, filepath.Join(dir, runner.ExecutionJournalFile), b)
	assert.Equal(t, journal.StatePending, j.Operation(8).State)

	cfg.MaxSteps = 0
	resp, err := runner.Run(context.Background(), cfg, exec)
	require.NoError(t, err)
	assert.True(t, resp.Complete)
	assert.EqualValues(t, 8, resp.ExecutedOperations[0].Sequence)
	assert.Equal(t, string(golden.Read(t, "backup/backup-execution-journal.json")),
		readFile(t, filepath.Join(dir, runner.ExecutionJournalFile)))
}

// TestResumeReusesRecordedSnapshot: a run killed after the download journal
// recorded a new snapshot but before the create-snapshot receipt was
// persisted takes no second snapshot on resume (found by the crash
// harness: crashtest, point main/runner.download-journal-persisted:1).
func TestResumeReusesRecordedSnapshot(t *testing.T) {
	dir := goldenDir(t)
	exec := goldenExecutor()
	cfg := goldenConfig(dir)
	cfg.MaxSteps = 3 // up to the operation before the first snapshot
	_, err := runner.Run(context.Background(), cfg, exec)
	require.NoError(t, err)
	beforeSnapshot := readFile(t, filepath.Join(dir, runner.ExecutionJournalFile))

	cfg.MaxSteps = 1
	resp, err := runner.Run(context.Background(), cfg, exec)
	require.NoError(t, err)
	require.Equal(t, "CreateSnapshot", resp.ExecutedOperations[0].Kind)

	// The crash: the receipt of the snapshot never reached the disk.
	writeFile(t, filepath.Join(dir, runner.ExecutionJournalFile), []byte(beforeSnapshot))
	j := readExecution(t, dir)
	at := "unix:1778594400"
	require.NoError(t, j.MarkNextOperationPendingAt(&at))
	b, err := j.Encode()
	require.NoError(t, err)
	writeFile(t, filepath.Join(dir, runner.ExecutionJournalFile), b)

	cfg.MaxSteps = 0
	resp, err = runner.Run(context.Background(), cfg, exec)
	require.NoError(t, err)
	assert.True(t, resp.Complete)
	snaps := 0
	for _, c := range exec.Calls() {
		if strings.HasPrefix(c, "snapshot:") {
			snaps++
		}
	}
	assert.Equal(t, 3, snaps, "one snapshot per canister, none taken twice: %v", exec.Calls())
}
