package restore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/layout"
)

func TestRunnerMaxStepsAndFullRun(t *testing.T) {
	goldenWorkdir(t)
	j := copyJournal(t, "apply-journal-initial.json")
	f := newFake()
	resp, err := runAt(t, j, ModeExecute, 4, f, 0)
	require.NoError(t, err)
	assert.True(t, *resp.MaxStepsReached)
	assert.Equal(t, StoppedMaxSteps, resp.StoppedReason)
	assert.Equal(t, 4, *resp.ExecutedOperationCount)
	assert.Equal(t, 4, resp.CompletedOperations)

	resp, err = runAt(t, j, ModeExecute, 0, f, 10)
	require.NoError(t, err)
	assert.True(t, resp.Complete)
	assert.Equal(t, StoppedComplete, resp.StoppedReason)
	assert.Equal(t, NextDone, resp.NextAction)
	assert.Equal(t, 11, *resp.ExecutedOperationCount)
	// Loads ran only after the executor reported the target stopped.
	for i, c := range f.calls {
		if strings.HasPrefix(c, "load ") {
			target := strings.Fields(c)[1]
			assert.Equal(t, "status "+target, f.calls[i-1])
		}
	}
	// Running a complete journal again does nothing.
	resp, err = runAt(t, j, ModeExecute, 0, f, 20)
	require.NoError(t, err)
	assert.Equal(t, 0, *resp.ExecutedOperationCount)
	assert.Equal(t, StoppedComplete, resp.StoppedReason)
}

func TestRunnerFailureThenRetryFailed(t *testing.T) {
	goldenWorkdir(t)
	j := copyJournal(t, "apply-journal-partial.json")
	_, err := runAt(t, j, ModeUnclaimPending, 0, nil, 0)
	assert.ErrorIs(t, err, CodeNoPendingOperation)

	resp, err := runAt(t, j, ModeRetryFailed, 0, nil, 500)
	require.NoError(t, err)
	assert.Equal(t, StoppedRetriedFailed, resp.StoppedReason)
	assert.Equal(t, NextRerun, resp.NextAction)
	require.NotNil(t, resp.RetriedOperation)
	assert.Equal(t, StateFailed, resp.RetriedOperation.State)
	assert.Equal(t, 1, resp.OperationReceiptSummary.FailedRetried)
	jr, err := ReadJournal(j)
	require.NoError(t, err)
	assert.Equal(t, StateReady, jr.Operations[7].State)
	assert.Empty(t, jr.Operations[7].BlockingReasons)
	assert.Equal(t, "unix:1778598500", *jr.Operations[7].StateUpdatedAt)

	_, err = runAt(t, j, ModeRetryFailed, 0, nil, 501)
	assert.ErrorIs(t, err, CodeNoFailedOperation)

	resp, err = runAt(t, j, ModeExecute, 0, stoppedFake(), 600)
	require.NoError(t, err)
	assert.True(t, resp.Complete)
	jr, err = ReadJournal(j)
	require.NoError(t, err)
	last := 0
	for _, r := range jr.OperationReceipts {
		if r.Sequence == 7 {
			last = r.Attempt
		}
	}
	assert.Equal(t, 2, last, "the retried operation is attempt 2")
}

func TestRunnerExecutorDiesMidUploadThenResume(t *testing.T) {
	goldenWorkdir(t)
	j := copyJournal(t, "apply-journal-initial.json")
	f := newFake()
	f.failAfter = 1 // the plugin dies during the second upload
	resp, err := runAt(t, j, ModeExecute, 0, f, 0)
	require.Error(t, err)
	assert.ErrorIs(t, err, CodeExecutorOutcomeUnknown)
	assert.Contains(t, err.Error(), "--unclaim-pending")
	require.NotNil(t, resp)
	jr, err := ReadJournal(j)
	require.NoError(t, err)
	assert.Equal(t, StatePending, jr.Operations[1].State, "the claim survives the executor")
	assert.Equal(t, "unix:1778598000", *jr.Operations[1].StateUpdatedAt)

	_, err = runAt(t, j, ModeExecute, 0, newFake(), 1)
	assert.ErrorIs(t, err, CodeApplyPending)
	_, err = runAt(t, j, ModeUnclaimPending, 0, nil, 2)
	require.NoError(t, err)
	resp, err = runAt(t, j, ModeExecute, 0, newFake(), 3)
	require.NoError(t, err)
	assert.True(t, resp.Complete)
}

func TestRunnerLocks(t *testing.T) {
	goldenWorkdir(t)
	j := copyJournal(t, "apply-journal-initial.json")
	// A stale lock file left by a crashed 0.35.1 runner is taken over.
	require.NoError(t, os.WriteFile(j+".lock", []byte("pid=999999\n"), 0o600))
	resp, err := runAt(t, j, ModeExecute, 1, newFake(), 0)
	require.NoError(t, err)
	assert.Equal(t, 1, *resp.ExecutedOperationCount)
	_, err = os.Stat(j + ".lock")
	assert.ErrorIs(t, err, os.ErrNotExist, "the lock is released")

	// A live holder refuses the run and the journal is untouched.
	held, err := layout.Acquire(context.Background(), j+".lock", JournalLockPurpose, layout.LockOptions{Command: "other runner"})
	require.NoError(t, err)
	defer func() { _ = held.Release() }()
	before, _ := os.ReadFile(j)
	_, err = runAt(t, j, ModeExecute, 1, newFake(), 1)
	require.Error(t, err)
	assert.ErrorIs(t, err, CodeJournalLocked)
	assert.True(t, strings.HasPrefix(err.Error(), "restore apply journal is locked: "+j+".lock"), err.Error())
	_, err = runAt(t, j, ModeUnclaimPending, 0, nil, 1)
	assert.ErrorIs(t, err, CodeJournalLocked)
	after, _ := os.ReadFile(j)
	assert.Equal(t, before, after)
	// Dry-run neither takes nor checks the lock.
	_, err = runAt(t, j, ModeDryRun, 0, nil, 0)
	assert.NoError(t, err)
}

func TestRunnerNoExecutor(t *testing.T) {
	j := copyJournal(t, "apply-journal-initial.json")
	_, err := Run(context.Background(), RunOptions{Journal: j, Mode: ModeExecute})
	assert.ErrorIs(t, err, CodeNoExecutor)
}

func TestRunnerModuleHashMismatch(t *testing.T) {
	goldenWorkdir(t)
	j := copyJournal(t, "apply-journal-initial.json")
	f := newFake()
	f.hashes["qoctq-giaaa-aaaaa-aaaea-cai"] = strings.Repeat("9", 64)
	resp, err := runAt(t, j, ModeExecute, 0, f, 0)
	require.Error(t, err)
	assert.Equal(t, "restore run command failed for operation 13: status=verification-failed", err.Error())
	assert.Equal(t, StoppedCommandFailed, resp.StoppedReason)
	jr, err := ReadJournal(j)
	require.NoError(t, err)
	assert.Equal(t, []string{"module-hash-mismatch-expected-" + strings.Repeat("2", 64) + "-actual-" + strings.Repeat("9", 64)},
		jr.Operations[13].BlockingReasons)
}

func TestRunnerMemberNotRunning(t *testing.T) {
	goldenWorkdir(t)
	j := copyJournal(t, "apply-journal-initial.json")
	f := &stuckStopped{newFake()}
	_, err := runAt(t, j, ModeExecute, 0, f, 0)
	require.Error(t, err)
	jr, err := ReadJournal(j)
	require.NoError(t, err)
	assert.Equal(t, []string{"verify-status-stopped"}, jr.Operations[12].BlockingReasons)
}

// stuckStopped never starts canisters.
type stuckStopped struct{ *fakeExecutor }

func (s *stuckStopped) StartCanister(ctx context.Context, target string) error { return nil }

func TestResolveArtifactRefusesEscapes(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	require.NoError(t, os.Symlink(outside, filepath.Join(root, "link")))
	require.NoError(t, os.Mkdir(filepath.Join(root, "in"), 0o755))
	require.NoError(t, os.Symlink(filepath.Join(root, "in"), filepath.Join(root, "innerlink")))
	for _, p := range []string{"../x", "/etc/passwd", "a/../../b", "link", "link/x"} {
		_, err := ResolveArtifact(root, "src", p)
		require.Error(t, err, p)
		assert.ErrorIs(t, err, CodeArtifactPathEscapesBackup, p)
		assert.Equal(t, "restore artifact path for src escapes backup root: "+p, err.Error())
	}
	got, err := ResolveArtifact(root, "src", "innerlink")
	require.NoError(t, err)
	assert.Equal(t, root+"/innerlink", got)
	got, err = ResolveArtifact(root+"/", "src", "./a")
	require.NoError(t, err)
	assert.Equal(t, root+"/./a", got, "joined as 0.35.1 joins (no cleaning)")
}

func TestBoundOutput(t *testing.T) {
	assert.Equal(t, CommandOutput{Text: "def", Truncated: true, OriginalBytes: 6}, BoundOutput([]byte("abcdef"), 3))
	assert.Equal(t, CommandOutput{Text: "", OriginalBytes: 0}, BoundOutput(nil, 3))
	// "€" is E2 82 AC; a cut after E2 leaves two continuation bytes.
	assert.Equal(t, CommandOutput{Text: "\uFFFD\uFFFDx", Truncated: true, OriginalBytes: 4}, BoundOutput([]byte("\u20acx"), 3))
}
