package transport

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/canic-backup/canic-backup/internal/retry"
)

// Gate holds back every request of a process while a boundary node's
// Retry-After window is open. An HTTP 429 means the request was not
// forwarded (it is safe to send again); the node asks for a pause with
// Retry-After, and a pause the node asked of one request applies to all of
// them: one Gate is shared by every Client of the process (Config.Gate).
type Gate struct {
	mu    sync.Mutex
	until time.Time
	// limited counts 429 answers seen, waits counts requests held back.
	limited, waits int
	now            func() time.Time
}

// NewGate returns an open Gate.
func NewGate() *Gate { return &Gate{now: time.Now} }

// Wait returns once no Retry-After window is open, or ctx's error.
func (g *Gate) Wait(ctx context.Context) error {
	for {
		g.mu.Lock()
		d := g.until.Sub(g.now())
		if d > 0 {
			g.waits++
		}
		g.mu.Unlock()
		if d <= 0 {
			return nil
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// Block closes the gate for d from now (a longer window already open
// stays) and returns when it opens again.
func (g *Gate) Block(d time.Duration) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.limited++
	if u := g.now().Add(d); u.After(g.until) {
		g.until = u
	}
	return g.until
}

// Stats reports how many 429 answers the gate saw and how many requests it
// held back.
func (g *Gate) Stats() (limited, waits int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.limited, g.waits
}

// Backoff bounds for a 429 without a usable Retry-After, and the most
// attempts one request makes through 429s before it reports ErrRateLimited.
const (
	rateLimitInitial  = 500 * time.Millisecond
	rateLimitMax      = 30 * time.Second
	rateLimitAttempts = 32
)

// rateLimitPolicy is the backoff of a request answered 429: exponential
// from rateLimitInitial to rateLimitMax with jitter in [d/2, d], unless the
// server's Retry-After says how long; at most rateLimitAttempts sends.
var rateLimitPolicy = retry.Policy{
	Attempts: rateLimitAttempts,
	Initial:  rateLimitInitial,
	Max:      rateLimitMax,
	Jitter:   retry.HalfJitter,
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date.
// ok is false when the header is absent or unreadable.
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	return retry.ParseRetryAfter(h, now)
}

// rateLimitDelay is the pause after the attempt-th 429 in a row: the
// server's Retry-After plus up to 10% (at least 50ms, at most 1s) of
// jitter, so that the requests held back do not all come back in the same
// instant; without a Retry-After, rateLimitPolicy's backoff.
func rateLimitDelay(header string, attempt int, now time.Time) time.Duration {
	return rateLimitPolicy.DelayAfter(header, attempt, now)
}

// ErrRateLimited matches a request a boundary node refused with HTTP 429
// until the caller's deadline or attempt bound: the request was never
// forwarded, so the call did not run. It also matches ErrTransient.
var ErrRateLimited = errors.New("rate limited (HTTP 429): the request was not sent to the IC")

// RateLimitedError is a request refused with 429 that the client gave up
// resending.
type RateLimitedError struct {
	// Endpoint is the path that answered 429.
	Endpoint string
	// Attempts is how many times the request was sent.
	Attempts int
	// RetryAfter is the last Retry-After header, "" if none.
	RetryAfter string
}

// Error names the endpoint and the attempts.
func (e *RateLimitedError) Error() string {
	s := fmt.Sprintf("POST %s: HTTP 429 %d times in a row", e.Endpoint, e.Attempts)
	if e.RetryAfter != "" {
		s += " (last Retry-After: " + e.RetryAfter + ")"
	}
	return s + ": rate limited; the request was not sent to the IC"
}

// Is matches ErrRateLimited and ErrTransient.
func (e *RateLimitedError) Is(target error) bool {
	return target == ErrRateLimited || target == ErrTransient
}
