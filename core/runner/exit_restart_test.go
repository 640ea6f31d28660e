package runner_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/runner/memexec"
)

// afterStops runs then once, right after the third stop (the golden plan
// stops three canisters) succeeded.
type afterStops struct {
	*memexec.Executor
	mu    sync.Mutex
	stops int
	then  func()
}

func (a *afterStops) StopCanister(ctx context.Context, id string) error {
	if err := a.Executor.StopCanister(ctx, id); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stops++; a.stops == 3 {
		a.then()
	}
	return nil
}

// breakJournal makes every later write of dir's execution journal fail (a
// non-empty directory where the rename would put the file), as a full
// disk or a failing device would.
func breakJournal(t *testing.T, dir string) func() {
	// It runs in an executor call, concurrently with the run's own journal
	// writes: it retries until a directory holds the journal's name (a
	// rename of a file over a directory fails), and never calls require
	// (which would end the worker goroutine, not the test).
	return func() {
		path := filepath.Join(dir, runner.ExecutionJournalFile)
		for i := 0; ; i++ {
			_ = os.Remove(path)
			if err := os.Mkdir(path, 0o700); err == nil {
				return
			} else if i == 1000 {
				t.Errorf("block the journal: %v", err)
				return
			}
		}
	}
}

// TestCancelAfterStopsRestartsEveryCanister: the context is cancelled
// (Ctrl-C, SIGTERM, a lost lease) right after the last stop, with one
// worker and with several. The run starts every canister again, records
// the interruption and the restarts, and says to retry.
func TestCancelAfterStopsRestartsEveryCanister(t *testing.T) {
	for _, concurrency := range []int{1, 4} {
		dir := goldenDir(t)
		ctx, cancel := context.WithCancel(context.Background())
		exec := &afterStops{Executor: goldenExecutor(), then: cancel}
		cfg := goldenConfig(dir)
		cfg.Concurrency = concurrency
		_, err := runner.Run(ctx, cfg, exec)
		cancel()
		require.ErrorIs(t, err, context.Canceled, "concurrency %d", concurrency)
		assert.Empty(t, exec.Stopped(), "concurrency %d: every canister runs", concurrency)
		j := readExecution(t, dir)
		assert.Empty(t, runner.LeftStopped(j), "concurrency %d", concurrency)
		var ops []journal.BackupExecutionJournalOperation
		for _, op := range j.Operations {
			if op.State == journal.StateFailed {
				ops = append(ops, op)
			}
		}
		require.Len(t, ops, 1, "concurrency %d", concurrency)
		for _, id := range []string{rootID, appID, hubID} {
			assert.Contains(t, ops[0].BlockingReasons, runner.RestartedReasonPrefix+id)
		}
		if concurrency > 1 {
			// Nothing was in flight: the run records the interruption.
			var ie *runner.InterruptedError
			require.ErrorAs(t, err, &ie)
			assert.Contains(t, ops[0].BlockingReasons[0], runner.InterruptedReasonPrefix)
		}

		cfg.RetryFailed = true
		resp, err := runner.Run(context.Background(), cfg, exec)
		require.NoError(t, err)
		assert.True(t, resp.Complete)
		assert.Empty(t, exec.Stopped())
	}
}

// TestJournalWriteFailureAfterStopsRestartsEveryCanister: the journal can
// no longer be written right after the last stop. The run starts every
// canister all the same and says the journal could not record it; the
// journal on disk still shows them stopped, and Recover, reading their
// status, records them as running without starting them again.
func TestJournalWriteFailureAfterStopsRestartsEveryCanister(t *testing.T) {
	for _, concurrency := range []int{1, 4} {
		dir := goldenDir(t)
		exec := &afterStops{Executor: goldenExecutor()}
		exec.then = breakJournal(t, dir)
		cfg := goldenConfig(dir)
		cfg.Concurrency = concurrency
		_, err := runner.Run(context.Background(), cfg, exec)
		require.Error(t, err)
		var ur *runner.UnrecordedRestartError
		require.ErrorAs(t, err, &ur, "concurrency %d: %v", concurrency, err)
		assert.ElementsMatch(t, []string{rootID, appID, hubID}, ur.CanisterIDs)
		assert.Empty(t, exec.Stopped(), "concurrency %d: every canister runs", concurrency)

		// Put back the journal as the last successful write left it: the
		// stops are not recorded as restarted.
		path := filepath.Join(dir, runner.ExecutionJournalFile)
		require.NoError(t, os.RemoveAll(path))
		require.NoError(t, os.WriteFile(path, []byte(lastJournal(t, dir, concurrency)), 0o600))
		onDisk := runner.LeftStopped(readExecution(t, dir))
		require.NotEmpty(t, onDisk)

		calls := len(exec.Calls())
		rep, err := runner.Recover(context.Background(), goldenConfig(dir), exec)
		require.NoError(t, err)
		assert.ElementsMatch(t, onDisk, rep.AlreadyRunning)
		assert.Empty(t, rep.Restarted)
		for _, c := range exec.Calls()[calls:] {
			assert.NotContains(t, c, "start:", "nothing is started twice")
		}
		assert.Empty(t, runner.LeftStopped(readExecution(t, dir)))
	}
}

// lastJournal replays the run up to the last stop on a fresh directory
// and returns the journal it persisted then (what a full disk leaves).
func lastJournal(t *testing.T, dir string, concurrency int) string {
	t.Helper()
	fresh := goldenDir(t)
	cfg := goldenConfig(fresh)
	cfg.Concurrency = concurrency
	cfg.MaxSteps = 7
	_, err := runner.Run(context.Background(), cfg, goldenExecutor())
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(fresh, runner.ExecutionJournalFile))
	require.NoError(t, err)
	return string(b)
}

// TestSecondInterruptSkipsRestart: with the abort channel closed (a second
// Ctrl-C) the restart is skipped, the error says so, and the journal
// still shows the canisters stopped for `backup recover`.
func TestSecondInterruptSkipsRestart(t *testing.T) {
	dir := goldenDir(t)
	ctx, cancel := context.WithCancel(context.Background())
	abort := make(chan struct{})
	exec := &afterStops{Executor: goldenExecutor(), then: func() { cancel(); close(abort) }}
	_, err := runner.Run(runner.WithAbort(ctx, abort), goldenConfig(dir), exec)
	cancel()
	require.ErrorIs(t, err, runner.ErrRestartAborted)
	assert.ElementsMatch(t, []string{rootID, appID, hubID}, exec.Stopped(), "nothing was started")
	assert.ElementsMatch(t, []string{rootID, appID, hubID}, runner.LeftStopped(readExecution(t, dir)))
}
