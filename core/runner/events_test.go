package runner_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/runner/memexec"
)

// recorder collects events.
type recorder struct{ events []runner.Event }

func (r *recorder) Observe(e runner.Event) { r.events = append(r.events, e) }

func (r *recorder) types() []runner.EventType {
	var out []runner.EventType
	for _, e := range r.events {
		out = append(out, e.Type)
	}
	return out
}

// TestObserverSeesEveryOperation: a full run emits run_started, a started
// and a finished event per operation, download bytes for each canister and
// run_finished; the layout is the same as without an observer.
func TestObserverSeesEveryOperation(t *testing.T) {
	dir := goldenDir(t)
	rec := &recorder{}
	cfg := goldenConfig(dir)
	cfg.Observer = rec
	resp, err := runner.Run(context.Background(), cfg, goldenExecutor())
	require.NoError(t, err)
	require.True(t, resp.Complete)

	require.NotEmpty(t, rec.events)
	first, last := rec.events[0], rec.events[len(rec.events)-1]
	assert.Equal(t, runner.EventRunStarted, first.Type)
	assert.Equal(t, []string{rootID, appID, hubID}, first.Targets)
	assert.Equal(t, 20, first.TotalOperations, "validate operations included")
	assert.Equal(t, runner.EventRunFinished, last.Type)
	assert.NoError(t, last.Err)
	assert.Equal(t, 20, last.CompletedOperations)

	count := map[runner.EventType]int{}
	downloads := map[string]uint64{}
	for _, e := range rec.events {
		count[e.Type]++
		assert.Equal(t, resp.PlanID, e.PlanID)
		assert.Equal(t, goldenClock(), e.Time)
		if e.Type == runner.EventDownloadProgress {
			assert.Equal(t, plan.OpDownloadSnapshot, e.Kind)
			assert.Equal(t, memexec.ArtifactSize(e.Target), e.BytesTotal)
			downloads[e.Target] = e.BytesDone
		}
		if e.Type == runner.EventOperationFinished {
			assert.Equal(t, runner.OutcomeCompleted, e.Outcome)
		}
	}
	assert.Equal(t, 16, count[runner.EventOperationStarted])
	assert.Equal(t, 16, count[runner.EventOperationFinished])
	assert.Equal(t, 6, count[runner.EventDownloadProgress])
	for _, id := range []string{rootID, appID, hubID} {
		assert.Equal(t, memexec.ArtifactSize(id), downloads[id], id)
	}

	// The observed run wrote exactly what an unobserved run writes.
	plain := goldenDir(t)
	_, err = runner.Run(context.Background(), goldenConfig(plain), goldenExecutor())
	require.NoError(t, err)
	for _, name := range []string{runner.PlanFile, runner.ExecutionJournalFile, runner.DownloadJournalFile, runner.ManifestFile} {
		assert.Equal(t, readFile(t, plain+"/"+name), readFile(t, dir+"/"+name), name)
	}
}

// TestObserverSeesFailureAndRestarts: a failing operation is reported
// failed with its error, then each compensating restart, then the run's
// error.
func TestObserverSeesFailureAndRestarts(t *testing.T) {
	dir := goldenDir(t)
	exec := goldenExecutor()
	exec.FailNext("snapshot:"+appID, errors.New("boom"))
	rec := &recorder{}
	cfg := goldenConfig(dir)
	cfg.Observer = runner.ObserverFunc(rec.Observe)
	_, err := runner.Run(context.Background(), cfg, exec)
	require.Error(t, err)
	types := rec.types()
	n := len(types)
	require.GreaterOrEqual(t, n, 5)
	assert.Equal(t, []runner.EventType{
		runner.EventOperationFinished, runner.EventCanisterRestarted, runner.EventCanisterRestarted,
		runner.EventCanisterRestarted, runner.EventRunFinished,
	}, types[n-5:])
	failed := rec.events[n-5]
	assert.Equal(t, runner.OutcomeFailed, failed.Outcome)
	assert.Equal(t, appID, failed.Target)
	assert.ErrorContains(t, failed.Err, "boom")
	assert.Equal(t, hubID, rec.events[n-4].Target)
	assert.Equal(t, err, rec.events[n-1].Err)
}

// TestReportDownloadProgressWithoutObserver is a no-op, not a panic.
func TestReportDownloadProgressWithoutObserver(t *testing.T) {
	runner.ReportDownloadProgress(context.Background(), 1, 2)
	var got []uint64
	ctx := runner.WithDownloadProgress(context.Background(), func(d, tot uint64) { got = append(got, d, tot) })
	runner.ReportDownloadProgress(ctx, 3, 4)
	assert.Equal(t, []uint64{3, 4}, got)
}
