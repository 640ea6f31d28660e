package parallel_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/internal/parallel"
)

func TestForEachRunsEveryIndexWithinTheBound(t *testing.T) {
	var cur, peak, sum atomic.Int64
	err := parallel.ForEach(context.Background(), 3, 50, func(_ context.Context, i int) error {
		n := cur.Add(1)
		defer cur.Add(-1)
		for old := peak.Load(); n > old && !peak.CompareAndSwap(old, n); old = peak.Load() {
		}
		time.Sleep(time.Millisecond)
		sum.Add(int64(i))
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, int64(49*50/2), sum.Load())
	assert.LessOrEqual(t, peak.Load(), int64(3))
	require.NoError(t, parallel.ForEach(context.Background(), 0, 0, nil), "no work, no call")
}

// TestForEachReportsTheLowestRealFailure: the failure of the lowest index
// wins over later ones, and errors caused only by the cancellation never
// hide a real one.
func TestForEachReportsTheLowestRealFailure(t *testing.T) {
	boom3, boom7 := errors.New("boom 3"), errors.New("boom 7")
	err := parallel.ForEach(context.Background(), 8, 20, func(ctx context.Context, i int) error {
		switch i {
		case 3:
			time.Sleep(5 * time.Millisecond)
			return boom3
		case 7:
			return boom7
		case 0, 1, 2:
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	})
	assert.ErrorIs(t, err, boom3)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, parallel.ForEach(ctx, 2, 5, func(context.Context, int) error { return nil }), context.Canceled)
}
