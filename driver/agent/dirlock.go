package agent

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
)

// dirLocks serializes transfers into the same directory within one
// executor: a cancelled download may still be recording its progress when
// the host, which saw the cancellation at once, starts the resumed one.
type dirLocks struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

// lock waits until no other transfer uses dir and returns the unlock
// function.
func (d *dirLocks) lock(ctx context.Context, dir string) (func(), error) {
	key, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", dir, err)
	}
	d.mu.Lock()
	if d.m == nil {
		d.m = map[string]chan struct{}{}
	}
	ch, ok := d.m[key]
	if !ok {
		ch = make(chan struct{}, 1)
		d.m[key] = ch
	}
	d.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for another transfer into %s: %w", dir, ctx.Err())
	}
}
