package agent

import "context"

// Limiter caps chunk calls in flight. One Limiter may be shared by several
// executors (WithLimiter) so that one process honours one global cap.
type Limiter struct {
	sem chan struct{}
}

// NewLimiter returns a Limiter allowing n calls at once (at least 1).
func NewLimiter(n int) *Limiter {
	if n < 1 {
		n = 1
	}
	return &Limiter{sem: make(chan struct{}, n)}
}

// Acquire waits for a slot and returns its release function.
func (l *Limiter) Acquire(ctx context.Context) (func(), error) {
	select {
	case l.sem <- struct{}{}:
		return func() { <-l.sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Cap is the number of slots.
func (l *Limiter) Cap() int { return cap(l.sem) }
