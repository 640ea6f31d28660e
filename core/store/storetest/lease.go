package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/store"
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c contract) lease(t *testing.T) {
	s, ctx := c.open(t), context.Background()
	clk := &clock{now: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	optsA := store.LeaseOptions{Host: "host-a", PID: 101, Purpose: "backup run", TTL: time.Minute, Now: clk.Now}
	optsB := store.LeaseOptions{Host: "host-b", PID: 202, Purpose: "backup run", TTL: time.Minute, Now: clk.Now}

	a, err := store.AcquireLease(ctx, s, "locks/run", optsA)
	require.NoError(t, err)
	assert.Nil(t, a.TakenOver())

	_, err = store.AcquireLease(ctx, s, "locks/run", optsB)
	require.ErrorIs(t, err, store.ErrLocked)
	var held *store.HeldError
	require.ErrorAs(t, err, &held)
	assert.Equal(t, "host-a", held.Holder.Host)
	assert.Equal(t, 101, held.Holder.PID)
	for _, want := range []string{"host-a", "pid 101", "2026-11-25T12:00:00Z", "2026-11-25T12:01:00Z", "backup run", `"locks/run"`} {
		assert.Contains(t, err.Error(), want)
	}

	// Renewal keeps the lease alive past the first TTL.
	clk.Advance(50 * time.Second)
	require.NoError(t, a.Renew(ctx))
	clk.Advance(50 * time.Second)
	_, err = store.AcquireLease(ctx, s, "locks/run", optsB)
	require.ErrorIs(t, err, store.ErrLocked, "a renewed lease was taken over")

	// Released: the next acquirer takes it at once, and it is no takeover.
	require.NoError(t, a.Release(ctx))
	b, err := store.AcquireLease(ctx, s, "locks/run", optsB)
	require.NoError(t, err)
	assert.Nil(t, b.TakenOver())
	require.ErrorIs(t, a.Renew(ctx), store.ErrLeaseLost)

	// Expired without renewal: taken over, and the takeover is reported.
	clk.Advance(61 * time.Second)
	a2, err := store.AcquireLease(ctx, s, "locks/run", optsA)
	require.NoError(t, err)
	prev := a2.TakenOver()
	require.NotNil(t, prev)
	assert.Equal(t, "host-b", prev.Host)
	assert.Equal(t, 202, prev.PID)
	// The old holder learns on its next renewal that it lost the lock.
	err = b.Renew(ctx)
	require.ErrorIs(t, err, store.ErrLeaseLost)
	assert.Contains(t, err.Error(), "host-a")
	require.ErrorIs(t, b.Release(ctx), store.ErrLeaseLost, "a lost lease must not release the new holder")
	_, err = store.AcquireLease(ctx, s, "locks/run", optsB)
	require.ErrorIs(t, err, store.ErrLocked, "the new holder still holds the lock")

	// Skew delays the takeover of an expired lease.
	clk.Advance(61 * time.Second)
	skewed := optsB
	skewed.Skew = 30 * time.Second
	_, err = store.AcquireLease(ctx, s, "locks/run", skewed)
	require.ErrorIs(t, err, store.ErrLocked)
	clk.Advance(30 * time.Second)
	_, err = store.AcquireLease(ctx, s, "locks/run", skewed)
	require.NoError(t, err)
}

func (c contract) leaseRace(t *testing.T) {
	s, ctx := c.open(t), context.Background()
	clk := &clock{now: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	race := func() []*store.Lease {
		const n = 6
		var wg sync.WaitGroup
		got := make([]*store.Lease, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, err := store.AcquireLease(ctx, s, "locks/race", store.LeaseOptions{Host: "h", PID: 1000 + i, TTL: time.Minute, Now: clk.Now})
				if err != nil {
					assert.ErrorIs(t, err, store.ErrLocked)
					return
				}
				got[i] = l
			}()
		}
		wg.Wait()
		var winners []*store.Lease
		for _, l := range got {
			if l != nil {
				winners = append(winners, l)
			}
		}
		return winners
	}
	w := race()
	require.Len(t, w, 1, "free lock: exactly one acquirer wins")
	clk.Advance(2 * time.Minute)
	w2 := race()
	require.Len(t, w2, 1, "expired lock: exactly one acquirer takes over")
	require.NotNil(t, w2[0].TakenOver())
	require.ErrorIs(t, w[0].Renew(ctx), store.ErrLeaseLost)
}
