package restore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const goldenClock = 1778598000

// runAt runs the runner on journal with the golden clock offset.
func runAt(t *testing.T, journal string, mode Mode, maxSteps int, ex RestoreExecutor, offset int64) (*RunResponse, error) {
	t.Helper()
	opts := RunOptions{Journal: journal, Mode: mode, MaxSteps: maxSteps, Clock: clockAt(goldenClock + offset)}
	if ex != nil {
		opts.Executor = ex
	} else {
		opts.Preview = IcpPreview{Program: "icp", Network: "local"}
	}
	return Run(context.Background(), opts)
}

func copyJournal(t *testing.T, golden string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "restore-apply-journal.json")
	require.NoError(t, os.WriteFile(p, restoreGolden(t, golden), 0o644))
	return p
}

// stoppedFake is the fake executor after batch 2: every target stopped.
func stoppedFake() *fakeExecutor {
	f := newFake()
	for _, c := range []string{"r7inp-6aaaa-aaaaa-aaabq-cai", "qoctq-giaaa-aaaaa-aaaea-cai", "rno2w-sqaaa-aaaaa-aaacq-cai"} {
		f.stopped[c] = true
	}
	return f
}

// TestGoldenRunnerTransitions replays the golden scenario through the runner
// with an in-memory executor and the goldens' pinned clocks: every journal
// written and every summary equals 0.35.1's.
func TestGoldenRunnerTransitions(t *testing.T) {
	goldenWorkdir(t)
	ctx := context.Background()
	_ = ctx

	// Batch 1: three uploads.
	j := copyJournal(t, "apply-journal-initial.json")
	resp, err := runAt(t, j, ModeExecute, 3, newFake(), 0)
	require.NoError(t, err)
	assertDoc(t, "run-execute-batch1-summary.json", resp)
	assertFile(t, "apply-journal-after-batch1.json", j)
	refs, err := ListReferences(goldenBackupRoot)
	require.NoError(t, err)
	require.Len(t, refs, 1, "an executing restore records its reference in the backup")
	assert.Equal(t, "run-demo-20260512-140000", refs[0].BackupID)

	// Batch 2: three stops.
	resp, err = runAt(t, j, ModeExecute, 3, newFake(), 60)
	require.NoError(t, err)
	assertDoc(t, "run-execute-batch2-summary.json", resp)
	assertFile(t, "apply-journal-after-batch2.json", j)

	// Failure branch: op 7's load exits 1.
	j = copyJournal(t, "apply-journal-after-batch2.json")
	f := stoppedFake()
	f.failLoad["qoctq-giaaa-aaaaa-aaaea-cai"] = &CommandError{Status: "1", Err: errors.New("snapshot not found")}
	resp, err = runAt(t, j, ModeExecute, 3, f, 120)
	require.Error(t, err)
	assert.Equal(t, string(restoreGolden(t, "run-execute-failed.error.txt")), err.Error())
	assert.ErrorIs(t, err, CodeCommandFailed)
	assertDoc(t, "run-execute-failed-summary.json", resp)
	assertFile(t, "apply-journal-partial.json", j)

	// Precondition branch: root was restarted out of band.
	j = copyJournal(t, "apply-journal-after-batch2.json")
	f = stoppedFake()
	f.stopped["r7inp-6aaaa-aaaaa-aaabq-cai"] = false
	resp, err = runAt(t, j, ModeExecute, 3, f, 180)
	require.Error(t, err)
	assert.Equal(t, string(restoreGolden(t, "run-execute-precondition-failed.error.txt")), err.Error())
	assertDoc(t, "run-execute-precondition-failed-summary.json", resp)
	assertFile(t, "apply-journal-precondition-failed.json", j)

	// Pending branch: the executor dies during op 7's load; the claim stays.
	j = copyJournal(t, "apply-journal-after-batch2.json")
	f = stoppedFake()
	f.failLoad["qoctq-giaaa-aaaaa-aaaea-cai"] = errPluginDied
	resp, err = runAt(t, j, ModeExecute, 0, f, 240)
	require.Error(t, err)
	assert.ErrorIs(t, err, CodeExecutorOutcomeUnknown)
	assert.ErrorIs(t, err, errPluginDied)
	require.NotNil(t, resp, "a summary is produced even for an executor failure")
	assert.Equal(t, StoppedPending, resp.StoppedReason)
	assert.Equal(t, 1, *resp.ExecutedOperationCount)
	assertFile(t, "apply-journal-pending.json", j)

	_, err = runAt(t, j, ModeExecute, 0, stoppedFake(), 250)
	require.Error(t, err)
	assert.Equal(t, string(restoreGolden(t, "run-execute-on-pending.error.txt")), err.Error())

	resp, err = runAt(t, j, ModeDryRun, 0, nil, 0)
	require.NoError(t, err)
	assertDoc(t, "run-dry-run-pending.json", resp)

	// Unclaim.
	resp, err = runAt(t, j, ModeUnclaimPending, 0, nil, 300)
	require.NoError(t, err)
	assertDoc(t, "run-unclaim-pending-summary.json", resp)
	assertFile(t, "apply-journal-after-unclaim.json", j)
	resp, err = runAt(t, j, ModeDryRun, 0, nil, 0)
	require.NoError(t, err)
	assertDoc(t, "run-dry-run-after-unclaim.json", resp)

	// Completion: ops 7-14; canisters come back running.
	f = stoppedFake()
	f.stopped["r7inp-6aaaa-aaaaa-aaabq-cai"] = true
	resp, err = runAt(t, j, ModeExecute, 0, f, 360)
	require.NoError(t, err)
	assertDoc(t, "run-execute-complete-summary.json", resp)
	got, err := os.ReadFile(j)
	require.NoError(t, err)
	assert.Equal(t, withoutRunningQuirk(restoreGolden(t, "apply-journal-complete.json")), string(got))
	refs, err = ListReferences(goldenBackupRoot)
	require.NoError(t, err)
	abs, err := filepath.Abs(j)
	require.NoError(t, err)
	for _, r := range refs {
		assert.NotEqual(t, abs, r.Journal, "a completed restore removes its reference")
	}
	assert.Len(t, refs, 3, "the abandoned branches still hold theirs")

	resp, err = runAt(t, j, ModeDryRun, 0, nil, 0)
	require.NoError(t, err)
	assertDoc(t, "run-dry-run-complete.json", resp)
}

// TestGoldenDryRuns: --dry-run on each golden journal equals 0.35.1's.
func TestGoldenDryRuns(t *testing.T) {
	goldenWorkdir(t)
	for journal, want := range map[string]string{
		"apply-journal-initial.json":      "run-dry-run-initial.json",
		"apply-journal-after-batch1.json": "run-dry-run-after-batch1.json",
		"apply-journal-partial.json":      "run-dry-run-failed.json",
		"apply-journal-pending.json":      "run-dry-run-pending.json",
	} {
		resp, err := runAt(t, copyJournal(t, journal), ModeDryRun, 0, nil, 0)
		require.NoError(t, err)
		assertDoc(t, want, resp)
	}
}
