package runner_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/runner/memexec"
)

// TestConcurrentRunWithObserverIsRaceFree: with an Observer, a download
// starting in a worker while the run goroutine records other operations'
// receipts must not read the journal (found under -race by the e2e tests:
// downloadObserver counted operations from the worker). Run with -race.
func TestConcurrentRunWithObserverIsRaceFree(t *testing.T) {
	f, entries := newFleet(t)
	dir := fleetDir(t, entries, f.root)
	x := &tracer{Executor: memexec.New(), latency: 2 * time.Millisecond}
	var mu sync.Mutex
	downloads := 0
	obs := runner.ObserverFunc(func(e runner.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Type == runner.EventDownloadProgress {
			downloads++
		}
	})
	resp, err := runner.Run(context.Background(), runner.Config{Dir: dir, Concurrency: 8, Observer: obs}, x)
	require.NoError(t, err)
	require.True(t, resp.Complete)
	assert.Len(t, x.of("download"), 9)
}
