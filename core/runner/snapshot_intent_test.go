package runner_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/runner/memexec"
)

// listingExecutor is memexec with ListSnapshots, whose first CreateSnapshot
// of lose takes the snapshot and then loses the answer (as a crash or a
// dropped connection after the IC executed the call would).
type listingExecutor struct {
	*memexec.Executor
	lose string
	once sync.Once
}

func (e *listingExecutor) ListSnapshots(_ context.Context, id string) ([]string, error) {
	return e.Snapshots(id), nil
}

func (e *listingExecutor) CreateSnapshot(ctx context.Context, id string) (string, error) {
	sid, err := e.Executor.CreateSnapshot(ctx, id)
	lost := false
	if id == e.lose {
		e.once.Do(func() { lost = true })
	}
	if lost {
		return "", errors.New("connection reset: outcome unknown")
	}
	return sid, err
}

// TestRetriedSnapshotAdoptsTheLostOne: a create-snapshot whose snapshot was
// taken but whose id never reached the journal is retried without a second
// snapshot: the intent record lists the snapshots before, and the one new
// snapshot is adopted; the intent record is gone afterwards.
func TestRetriedSnapshotAdoptsTheLostOne(t *testing.T) {
	dir := goldenDir(t)
	exec := &listingExecutor{Executor: goldenExecutor(), lose: appID}
	cfg := goldenConfig(dir)
	_, err := runner.Run(context.Background(), cfg, exec)
	require.Error(t, err)
	require.Len(t, exec.Snapshots(appID), 1, "the lost call did take a snapshot")
	taken := exec.Snapshots(appID)[0]

	cfg.RetryFailed = true
	resp, err := runner.Run(context.Background(), cfg, exec)
	require.NoError(t, err)
	require.True(t, resp.Complete)
	assert.Equal(t, []string{taken}, exec.Snapshots(appID), "no second snapshot of %s", appID)
	for _, id := range []string{rootID, hubID} {
		assert.Len(t, exec.Snapshots(id), 1, id)
	}
	j := readDownload(t, dir)
	found := false
	for _, a := range j.Artifacts {
		if a.CanisterID == appID {
			found = true
			assert.Equal(t, taken, a.SnapshotID)
		}
	}
	assert.True(t, found)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), ".snapshot-intent-"), "intent %s left behind", filepath.Join(dir, e.Name()))
	}
}

// TestNoRestartOnFailureLeavesCanistersForRecover: with NoRestartOnFailure
// a failed run leaves its stopped canisters stopped, the journal says so,
// and Recover starts them from the journal.
func TestNoRestartOnFailureLeavesCanistersForRecover(t *testing.T) {
	dir := goldenDir(t)
	exec := goldenExecutor()
	exec.FailNext("snapshot:"+appID, &runner.CommandError{Status: "icp", Message: "boom"})
	cfg := goldenConfig(dir)
	cfg.NoRestartOnFailure = true
	_, err := runner.Run(context.Background(), cfg, exec)
	require.Error(t, err)
	assert.ElementsMatch(t, []string{rootID, appID, hubID}, exec.Stopped(), "nothing was started again")

	_, err = runner.Recover(context.Background(), goldenConfig(dir), exec)
	require.NoError(t, err)
	assert.Empty(t, exec.Stopped(), "recover started them from the journal")
}

// countingLister is memexec with ListSnapshots, counting the listings of
// each canister.
type countingLister struct {
	*memexec.Executor
	mu    sync.Mutex
	lists map[string]int
}

func (e *countingLister) ListSnapshots(_ context.Context, id string) ([]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.lists == nil {
		e.lists = map[string]int{}
	}
	e.lists[id]++
	return e.Snapshots(id), nil
}

// TestSnapshotIntentIsWrittenWhileStopping: the intent's listing runs
// alongside stop_canister, so the snapshot step inside the downtime window
// sends no listing of its own: one listing per canister in a whole run,
// and no intent left behind.
func TestSnapshotIntentIsWrittenWhileStopping(t *testing.T) {
	dir := goldenDir(t)
	exec := &countingLister{Executor: goldenExecutor()}
	resp, err := runner.Run(context.Background(), goldenConfig(dir), exec)
	require.NoError(t, err)
	require.True(t, resp.Complete)
	for _, id := range []string{rootID, appID, hubID} {
		assert.Equal(t, 1, exec.lists[id], "listings of %s", id)
		assert.Len(t, exec.Snapshots(id), 1, id)
		assert.NoFileExists(t, filepath.Join(dir, ".snapshot-intent-"+id+".json"))
	}
}

// TestFailedStopLeavesNoIntent: an intent written while a stop that then
// failed is removed, so no record outlives the attempt it was made for.
func TestFailedStopLeavesNoIntent(t *testing.T) {
	dir := goldenDir(t)
	exec := &countingLister{Executor: goldenExecutor()}
	exec.FailNext("stop:"+appID, &runner.CommandError{Status: "icp", Message: "boom"})
	_, err := runner.Run(context.Background(), goldenConfig(dir), exec)
	require.Error(t, err)
	assert.Equal(t, 1, exec.lists[appID], "the intent was listed while stopping")
	assert.NoFileExists(t, filepath.Join(dir, ".snapshot-intent-"+appID+".json"))
}
