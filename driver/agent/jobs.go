package agent

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/canic-backup/canic-backup/internal/killpoint"
)

// job is one chunk of a transfer: a range of a blob, or one chunk-store
// entry (hash set).
type job struct {
	kind   string
	index  uint64
	offset uint64
	size   uint64
	hash   []byte
}

// checkpointEvery bounds how often the resume record is rewritten.
const checkpointEvery = 250 * time.Millisecond

// killpointCheckpointJobs is the checkpoint cadence, in completed jobs, of
// a process under the crash harness (killpoint.Enabled): a time-based
// cadence made the number of resume-record writes, hence of the plugin's
// layout.before-rename/after-rename kill points, depend on the machine's
// speed, and the harness could not reach a point its trace had seen.
const killpointCheckpointJobs = 2

// checkpointDue reports whether the resume record is rewritten after the
// completed-th job: every checkpointEvery, or under the crash harness
// every killpointCheckpointJobs jobs.
func checkpointDue(last time.Time, completed int) bool {
	if killpoint.Enabled() {
		return completed%killpointCheckpointJobs == 0
	}
	return time.Since(last) > checkpointEvery
}

// runJobs runs do for every job with at most width in flight for this
// transfer and the executor-wide limiter's cap across transfers. done is
// called on the calling goroutine for each finished job; checkpoint is
// called on the calling goroutine at most every checkpointEvery and once at
// the end (also after a failure or cancellation), so that what is done is
// recorded. It returns the first error (wrapping ctx's error when ctx was
// cancelled).
func (e *Executor) runJobs(ctx context.Context, jobs []job, width int, do func(context.Context, job) error,
	done func(job), checkpoint func() error) error {
	if width < 1 {
		width = 1
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan job)
	type result struct {
		j   job
		err error
	}
	results := make(chan result)
	var wg sync.WaitGroup
	for w := 0; w < width && w < len(jobs); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				release, err := e.limiter.Acquire(wctx)
				if err == nil {
					err = do(wctx, j)
					release()
				}
				results <- result{j, err}
			}
		}()
	}
	go func() {
		defer close(queue)
		for _, j := range jobs {
			select {
			case queue <- j:
			case <-wctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	var first error
	last := time.Now()
	completed := 0
	for r := range results {
		if r.err != nil {
			if first == nil {
				first = r.err
				cancel()
			}
			continue
		}
		done(r.j)
		completed++
		if checkpointDue(last, completed) {
			if err := checkpoint(); err != nil && first == nil {
				first = err
				cancel()
			}
			last = time.Now()
		}
	}
	if err := checkpoint(); err != nil && first == nil {
		first = err
	}
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	if first != nil && ctx.Err() != nil && !errors.Is(first, ctx.Err()) {
		return errors.Join(ctx.Err(), first)
	}
	return first
}
