package archive

import (
	"context"
	"errors"
	"sync"
)

// forEach runs fn(ctx, i) for i in [0, n) on up to workers goroutines. The
// first failure cancels the context of the others; forEach returns the
// failure of the lowest index that failed (so the error is deterministic
// when several fail), or the parent context's error.
func forEach(ctx context.Context, workers, n int, fn func(ctx context.Context, i int) error) error {
	if workers <= 0 {
		workers = defaultConcurrency
	}
	workers = min(workers, n)
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
				if err := fn(ctx, i); err != nil {
					errs[i] = err
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
	var firstCancel error
	for _, err := range errs {
		if err == nil {
			continue
		}
		// An error caused by the cancellation of another failure is not
		// the cause; prefer a real failure.
		if ctx.Err() != nil && isCancel(err) {
			if firstCancel == nil {
				firstCancel = err
			}
			continue
		}
		return err
	}
	if firstCancel != nil {
		return firstCancel
	}
	return ctx.Err()
}

const defaultConcurrency = 4

func isCancel(err error) bool {
	return errors.Is(err, context.Canceled)
}
