// Package retry is canic-backup's one retry policy: how many times an
// operation runs, the backoff between runs (exponential, capped, with or
// without jitter), which failures may run again (a classifier), and how a
// server's Retry-After is honoured. The agent executor's management calls,
// its process-wide HTTP 429 gate and the dfx/icp executor's idempotent
// commands each hold a Policy with their own numbers.
package retry

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Jitter chooses how a backoff delay is spread.
type Jitter int

const (
	// NoJitter waits exactly the computed delay.
	NoJitter Jitter = iota
	// HalfJitter waits a uniformly random delay in [d/2, d].
	HalfJitter
)

// Policy is a bounded retry policy. The zero value runs once.
type Policy struct {
	// Attempts bounds the runs of one operation, the first included.
	Attempts int
	// Initial is the delay after the first failed run; it doubles after
	// each further one.
	Initial time.Duration
	// Max caps the delay; zero means no cap.
	Max time.Duration
	// Jitter spreads each delay.
	Jitter Jitter
	// Retryable reports whether err, from the attempt-th run (1-based),
	// may run again; nil means every error may.
	Retryable func(err error, attempt int) bool
}

// Delay is the backoff after the attempt-th failed run (attempt >= 1):
// Initial doubled attempt-1 times, capped at Max, then jittered.
func (p Policy) Delay(attempt int) time.Duration {
	d := p.Initial
	for i := 1; i < attempt && (p.Max == 0 || d < p.Max); i++ {
		d *= 2
	}
	if p.Max != 0 && d > p.Max {
		d = p.Max
	}
	if p.Jitter == HalfJitter {
		half := d / 2
		return half + time.Duration(rand.Int64N(int64(half)+1))
	}
	return d
}

// Again reports whether the attempt-th run, which returned err, is to be
// followed by another: err is not nil, ctx has not ended, the attempt
// bound is not reached and the classifier allows it.
func (p Policy) Again(ctx context.Context, attempt int, err error) bool {
	if err == nil || attempt >= p.Attempts || ctx.Err() != nil {
		return false
	}
	return p.Retryable == nil || p.Retryable(err, attempt)
}

// Do runs f (given its 1-based attempt number) until it succeeds, fails in
// a way the policy does not retry, the attempt bound is reached or ctx
// ends, waiting Delay between runs. It returns f's last error, also when
// ctx ends during a wait.
func (p Policy) Do(ctx context.Context, f func(attempt int) error) error {
	for attempt := 1; ; attempt++ {
		err := f(attempt)
		if !p.Again(ctx, attempt, err) {
			return err
		}
		if Sleep(ctx, p.Delay(attempt)) != nil {
			return err
		}
	}
}

// Sleep waits d, or returns ctx's error if ctx ends first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ParseRetryAfter reads an HTTP Retry-After header: delay-seconds or an
// HTTP date (a date in the past is zero). ok is false when the header is
// absent or unreadable.
func ParseRetryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(h, 10, 32); err == nil {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// ServerDelay is the wait a server asked for (Retry-After) plus up to 10%
// of it (at least 50ms, at most 1s) of jitter, so that the requests it
// held back do not all return in the same instant.
func ServerDelay(d time.Duration) time.Duration {
	j := min(d/10, time.Second)
	if j < 50*time.Millisecond {
		j = 50 * time.Millisecond
	}
	return d + time.Duration(rand.Int64N(int64(j)+1))
}

// DelayAfter is the wait after the attempt-th failed run when the server
// may have sent a Retry-After header: ServerDelay of it when it is
// readable, else the policy's backoff.
func (p Policy) DelayAfter(retryAfter string, attempt int, now time.Time) time.Duration {
	if d, ok := ParseRetryAfter(retryAfter, now); ok {
		return ServerDelay(d)
	}
	return p.Delay(attempt)
}
