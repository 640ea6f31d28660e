package agent

import (
	"context"
	"sync"

	"github.com/canic-backup/canic-backup/driver/agent/transport"
)

// Limiter caps chunk calls in flight. One Limiter may be shared by several
// executors (WithLimiter) so that one process honours one global cap; one
// executor already uses one Limiter for all its concurrent transfers, so a
// plugin process serving many downloads at once keeps one cap.
//
// The Limiter also carries the process's rate-limit Gate: every request of
// every executor sharing the Limiter (chunk calls, management calls, status
// polls) waits while a boundary node's Retry-After window is open.
type Limiter struct {
	sem  chan struct{}
	gate *transport.Gate
	mu   sync.Mutex
	// inUse and peak count slots held now and at most (Peak).
	inUse, peak int
}

// NewLimiter returns a Limiter allowing n calls at once (at least 1).
func NewLimiter(n int) *Limiter {
	if n < 1 {
		n = 1
	}
	return &Limiter{sem: make(chan struct{}, n), gate: transport.NewGate()}
}

// Acquire waits for a slot and returns its release function.
func (l *Limiter) Acquire(ctx context.Context) (func(), error) {
	select {
	case l.sem <- struct{}{}:
		l.mu.Lock()
		l.inUse++
		l.peak = max(l.peak, l.inUse)
		l.mu.Unlock()
		var once sync.Once
		return func() {
			once.Do(func() {
				l.mu.Lock()
				l.inUse--
				l.mu.Unlock()
				<-l.sem
			})
		}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Gate is the rate-limit gate every request through this Limiter's
// executors honours.
func (l *Limiter) Gate() *transport.Gate { return l.gate }

// Cap is the number of slots.
func (l *Limiter) Cap() int { return cap(l.sem) }

// Peak is the most slots held at once since the Limiter was made.
func (l *Limiter) Peak() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.peak
}
