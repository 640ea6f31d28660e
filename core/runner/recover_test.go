package runner_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/runner"
)

// TestRecoverAfterPause: a run paused with every canister stopped; Recover
// starts them, records the interruption and the restarts, and a retry
// re-stops them before taking snapshots and completes.
func TestRecoverAfterPause(t *testing.T) {
	dir := goldenDir(t)
	exec := goldenExecutor()
	cfg := goldenConfig(dir)
	cfg.MaxSteps = 3
	_, err := runner.Run(context.Background(), cfg, exec)
	require.NoError(t, err)
	require.Equal(t, []string{rootID, appID, hubID}, exec.Stopped())
	assert.Equal(t, []string{hubID, appID, rootID}, runner.LeftStopped(readExecution(t, dir)))

	rep, err := runner.Recover(context.Background(), goldenConfig(dir), exec)
	require.NoError(t, err)
	assert.Empty(t, exec.Stopped())
	assert.True(t, rep.Interrupted)
	require.NotNil(t, rep.FailedSequence)
	assert.EqualValues(t, 7, *rep.FailedSequence)
	assert.Equal(t, []string{hubID, appID, rootID}, rep.Restarted)
	assert.Empty(t, rep.StillStopped)

	j := readExecution(t, dir)
	assert.Empty(t, runner.LeftStopped(j))
	op := j.Operation(7)
	assert.Equal(t, journal.StateFailed, op.State)
	assert.Equal(t, []string{runner.RecoveredReason,
		runner.RestartedReasonPrefix + hubID, runner.RestartedReasonPrefix + appID, runner.RestartedReasonPrefix + rootID,
	}, op.BlockingReasons)

	// Nothing left to do: a second recover changes nothing.
	before := readFile(t, dir+"/"+runner.ExecutionJournalFile)
	rep, err = runner.Recover(context.Background(), goldenConfig(dir), exec)
	require.NoError(t, err)
	assert.Nil(t, rep.FailedSequence)
	assert.Empty(t, rep.Restarted)
	assert.Equal(t, before, readFile(t, dir+"/"+runner.ExecutionJournalFile))

	calls := len(exec.Calls())
	cfg = goldenConfig(dir)
	cfg.RetryFailed = true
	resp, err := runner.Run(context.Background(), cfg, exec)
	require.NoError(t, err)
	assert.True(t, resp.Complete)
	assert.Equal(t, []string{"stop:" + hubID, "stop:" + appID, "stop:" + rootID, "snapshot:" + rootID},
		exec.Calls()[calls:calls+4])
	assert.Empty(t, exec.Stopped())
}

// TestRecoverAfterUnrestartableFailure: a failed run could not restart one
// canister; Recover starts it and adds its marker to the failed operation.
func TestRecoverAfterUnrestartableFailure(t *testing.T) {
	dir := goldenDir(t)
	exec := goldenExecutor()
	exec.FailNext("snapshot:"+rootID, errors.New("boom"))
	exec.FailNext("start:"+appID, errors.New("start refused"))
	_, err := runner.Run(context.Background(), goldenConfig(dir), exec)
	require.Error(t, err)
	assert.Equal(t, []string{appID}, runner.LeftStopped(readExecution(t, dir)))

	exec.FailNext("start:"+appID, errors.New("still refused"))
	rep, err := runner.Recover(context.Background(), goldenConfig(dir), exec)
	var re *runner.RestartError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, []string{appID}, rep.StillStopped)
	assert.False(t, rep.Interrupted)

	rep, err = runner.Recover(context.Background(), goldenConfig(dir), exec)
	require.NoError(t, err)
	assert.Equal(t, []string{appID}, rep.Restarted)
	assert.Empty(t, rep.StillStopped)
	assert.Empty(t, exec.Stopped())
	j := readExecution(t, dir)
	assert.Contains(t, j.Operation(7).BlockingReasons, runner.RestartedReasonPrefix+appID)
	assert.Empty(t, runner.LeftStopped(j))
}
