// Package parallel runs indexed work on a bounded number of goroutines.
package parallel

import (
	"context"
	"errors"
	"sync"
)

// ForEach runs fn(ctx, i) for every i in [0, n) on at most workers
// goroutines (workers < 1 means 1). The first failure cancels the context
// the other calls get and stops feeding new indexes. ForEach returns the
// error of the lowest index that failed for a reason of its own (an error
// caused only by that cancellation is reported just when nothing else
// failed), so the result is deterministic when several fail; else the
// parent context's error; else nil.
func ForEach(ctx context.Context, workers, n int, fn func(ctx context.Context, i int) error) error {
	if n <= 0 {
		return ctx.Err()
	}
	workers = max(1, min(workers, n))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if errs[i] = fn(ctx, i); errs[i] != nil {
					cancel()
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	var cancelled error
	for _, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, context.Canceled) && ctx.Err() != nil:
			if cancelled == nil {
				cancelled = err
			}
		default:
			return err
		}
	}
	if cancelled != nil {
		return cancelled
	}
	return ctx.Err()
}
