package runner_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/runner/memexec"
)

// unknownExec is a memexec whose calls named in lost take effect but
// answer "outcome unknown" (the reply was lost after the IC ran them);
// it reads run status and lists snapshots, so the runner can reconcile.
type unknownExec struct {
	*memexec.Executor
	mu   *sync.Mutex
	lost map[string]bool
	// noEffect makes the lost calls not take effect either.
	noEffect bool
}

var errUnknown = &runner.CommandError{Status: runner.StatusOutcomeUnknown,
	Message: "stop_canister: outcome unknown (the call may have run): no final status before the poll deadline"}

// take reports (once) whether call's reply is to be lost.
func (u unknownExec) take(call string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	lost := u.lost[call]
	delete(u.lost, call)
	return lost
}

func (u unknownExec) pending() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.lost)
}

func (u unknownExec) StopCanister(ctx context.Context, id string) error {
	if u.take("stop:" + id) {
		if !u.noEffect {
			_ = u.Executor.StopCanister(ctx, id)
		}
		return errUnknown
	}
	return u.Executor.StopCanister(ctx, id)
}

func (u unknownExec) StartCanister(ctx context.Context, id string) error {
	if u.take("start:" + id) {
		_ = u.Executor.StartCanister(ctx, id)
		return errUnknown
	}
	return u.Executor.StartCanister(ctx, id)
}

func (u unknownExec) CreateSnapshot(ctx context.Context, id string) (string, error) {
	if u.take("snapshot:" + id) {
		if _, err := u.Executor.CreateSnapshot(ctx, id); err != nil {
			return "", err
		}
		return "", errUnknown
	}
	return u.Executor.CreateSnapshot(ctx, id)
}

func (u unknownExec) CanisterRunStatus(_ context.Context, id string) (string, error) {
	for _, s := range u.Stopped() {
		if s == id {
			return "stopped", nil
		}
	}
	return "running", nil
}

func (u unknownExec) ListSnapshots(_ context.Context, id string) ([]string, error) {
	return u.Snapshots(id), nil
}

// TestUnknownOutcomesAreReconciledFromTheCanistersState: a stop, a
// snapshot and a start whose replies were lost after they ran are settled
// from the canister's status and snapshot list: the run completes, with
// the snapshot that was taken (no second one), and records no failure.
func TestUnknownOutcomesAreReconciledFromTheCanistersState(t *testing.T) {
	for _, concurrency := range []int{1, 4} {
		dir := goldenDir(t)
		exec := unknownExec{Executor: goldenExecutor(), mu: &sync.Mutex{}, lost: map[string]bool{
			"stop:" + appID: true, "snapshot:" + hubID: true, "start:" + rootID: true,
		}}
		cfg := goldenConfig(dir)
		cfg.Concurrency = concurrency
		resp, err := runner.Run(context.Background(), cfg, exec)
		require.NoError(t, err, "concurrency %d", concurrency)
		assert.True(t, resp.Complete)
		assert.Zero(t, exec.pending(), "every lost reply was met")
		assert.Len(t, exec.Snapshots(hubID), 1, "the snapshot whose reply was lost is used, not taken twice")
		assert.Empty(t, exec.Stopped())
		j := readExecution(t, dir)
		for _, r := range j.OperationReceipts {
			assert.Equal(t, journal.OutcomeCompleted, r.Outcome, "operation %d", r.Sequence)
		}
		dj := readDownload(t, dir)
		found := false
		for _, a := range dj.Artifacts {
			if a.CanisterID == hubID {
				found = true
				assert.Equal(t, exec.Snapshots(hubID)[0], a.SnapshotID)
			}
		}
		assert.True(t, found)
	}
}

// TestUnknownOutcomeThatDidNotTakeEffectIsJournalledAsUnknown: a stop whose
// outcome is unknown and whose canister still runs is recorded with status
// "unknown" and what reconciliation saw, never as a definite failure, and
// nothing is left stopped.
func TestUnknownOutcomeThatDidNotTakeEffectIsJournalledAsUnknown(t *testing.T) {
	dir := goldenDir(t)
	exec := unknownExec{Executor: goldenExecutor(), mu: &sync.Mutex{}, lost: map[string]bool{"stop:" + appID: true}, noEffect: true}
	_, err := runner.Run(context.Background(), goldenConfig(dir), exec)
	require.Error(t, err)
	var uo *runner.UnknownOutcomeError
	require.ErrorAs(t, err, &uo)
	assert.Equal(t, appID, uo.CanisterID)
	var cf *runner.CommandFailedError
	require.ErrorAs(t, err, &cf)
	assert.Equal(t, runner.StatusOutcomeUnknown, cf.Status)
	assert.Contains(t, err.Error(), "failed: unknown: stop_canister of "+appID+": outcome unknown; reconciled from the canister's state: canister is running")
	assert.Empty(t, exec.Stopped())
	j := readExecution(t, dir)
	var reasons []string
	for _, op := range j.Operations {
		if op.State == journal.StateFailed {
			reasons = append(reasons, op.BlockingReasons...)
		}
	}
	require.NotEmpty(t, reasons)
	assert.True(t, strings.Contains(reasons[0], "unknown: stop_canister of "+appID), reasons[0])
}
