package retry

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDelayWithoutJitterDoublesUncapped: the dfx executor's policy waits
// exactly 100ms, 200ms, 400ms, 800ms (no cap, no jitter).
func TestDelayWithoutJitterDoublesUncapped(t *testing.T) {
	p := Policy{Attempts: 5, Initial: 100 * time.Millisecond}
	for i, want := range []time.Duration{100, 200, 400, 800} {
		assert.Equal(t, want*time.Millisecond, p.Delay(i+1))
	}
}

// TestDelayHalfJitterCapped: with HalfJitter every delay lies in [d/2, d]
// of the capped exponential d, as the agent's call and 429 backoffs did.
func TestDelayHalfJitterCapped(t *testing.T) {
	p := Policy{Attempts: 32, Initial: 500 * time.Millisecond, Max: 30 * time.Second, Jitter: HalfJitter}
	for attempt, d := range map[int]time.Duration{1: 500 * time.Millisecond, 2: time.Second, 3: 2 * time.Second, 7: 30 * time.Second, 32: 30 * time.Second} {
		for range 200 {
			got := p.Delay(attempt)
			require.GreaterOrEqual(t, got, d/2, "attempt %d", attempt)
			require.LessOrEqual(t, got, d, "attempt %d", attempt)
		}
	}
}

// TestDoBoundsAttemptsAndClassifies: Do runs until success, a
// non-retryable error or the attempt bound, and the classifier sees the
// attempt number.
func TestDoBoundsAttemptsAndClassifies(t *testing.T) {
	transient, fatal := errors.New("transient"), errors.New("fatal")
	p := Policy{Attempts: 4, Initial: time.Millisecond, Retryable: func(err error, attempt int) bool {
		return errors.Is(err, transient)
	}}
	calls := 0
	require.ErrorIs(t, p.Do(context.Background(), func(int) error { calls++; return transient }), transient)
	assert.Equal(t, 4, calls, "bounded by Attempts")

	calls = 0
	require.ErrorIs(t, p.Do(context.Background(), func(int) error { calls++; return fatal }), fatal)
	assert.Equal(t, 1, calls, "a non-retryable error is not run again")

	calls = 0
	require.NoError(t, p.Do(context.Background(), func(n int) error {
		calls++
		if n < 3 {
			return transient
		}
		return nil
	}))
	assert.Equal(t, 3, calls)

	var seen []int
	p.Retryable = func(_ error, attempt int) bool { seen = append(seen, attempt); return attempt < 2 }
	_ = p.Do(context.Background(), func(int) error { return transient })
	assert.Equal(t, []int{1, 2}, seen, "the classifier bounds by attempt (a stop timeout's own bound)")

	assert.Equal(t, 1, func() int {
		n := 0
		_ = Policy{}.Do(context.Background(), func(int) error { n++; return transient })
		return n
	}(), "the zero policy runs once")
}

// TestDoReturnsLastErrorWhenContextEnds: a cancelled wait ends Do with
// f's last error, and a done context prevents any further run.
func TestDoReturnsLastErrorWhenContextEnds(t *testing.T) {
	transient := errors.New("transient")
	ctx, cancel := context.WithCancel(context.Background())
	p := Policy{Attempts: 10, Initial: time.Hour}
	calls := 0
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	err := p.Do(ctx, func(int) error { calls++; return transient })
	require.ErrorIs(t, err, transient)
	assert.Equal(t, 1, calls)
	assert.False(t, p.Again(ctx, 1, transient), "no run after ctx ended")
	assert.ErrorIs(t, Sleep(ctx, time.Hour), context.Canceled)
}

// TestRetryAfterHonoured: Retry-After in seconds or as an HTTP date is
// read; the wait is that delay plus 50ms..1s of jitter; without a
// readable header the policy's backoff applies.
func TestRetryAfterHonoured(t *testing.T) {
	now := time.Date(2026, 5, 12, 12, 0, 0, 0, time.UTC)
	d, ok := ParseRetryAfter(" 7 ", now)
	require.True(t, ok)
	assert.Equal(t, 7*time.Second, d)
	d, ok = ParseRetryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now)
	require.True(t, ok)
	assert.Equal(t, 90*time.Second, d)
	d, ok = ParseRetryAfter(now.Add(-time.Minute).Format(http.TimeFormat), now)
	require.True(t, ok)
	assert.Zero(t, d, "a past date means now")
	for _, bad := range []string{"", "soon", "-3", "1.5"} {
		_, ok = ParseRetryAfter(bad, now)
		assert.False(t, ok, bad)
	}

	p := Policy{Attempts: 3, Initial: 500 * time.Millisecond, Max: 30 * time.Second, Jitter: HalfJitter}
	for range 200 {
		got := p.DelayAfter("2", 5, now)
		require.GreaterOrEqual(t, got, 2*time.Second)
		require.LessOrEqual(t, got, 2*time.Second+200*time.Millisecond)
		got = p.DelayAfter("100", 1, now)
		require.LessOrEqual(t, got, 101*time.Second, "jitter capped at 1s")
		got = p.DelayAfter("0", 1, now)
		require.LessOrEqual(t, got, 50*time.Millisecond, "jitter at least 50ms wide")
		got = p.DelayAfter("", 3, now)
		require.GreaterOrEqual(t, got, time.Second)
		require.LessOrEqual(t, got, 2*time.Second)
	}
}
