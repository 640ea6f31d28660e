package s3store_test

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/store/s3store"
)

// peakTransport records the most part uploads in flight at once.
type peakTransport struct {
	next      http.RoundTripper
	cur, peak atomic.Int64
}

func (p *peakTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodPut || r.URL.Query().Get("partNumber") == "" {
		return p.next.RoundTrip(r)
	}
	n := p.cur.Add(1)
	defer p.cur.Add(-1)
	for {
		old := p.peak.Load()
		if n <= old || p.peak.CompareAndSwap(old, n) {
			break
		}
	}
	return p.next.RoundTrip(r)
}

// TestPartBudgetIsStoreWide: four concurrent multipart Puts through one
// Store with Concurrency 2 never have more than 2 parts in flight, so the
// memory of uploads is bounded by the Store, not by how many objects a
// caller uploads at once; every object still arrives intact.
func TestPartBudgetIsStoreWide(t *testing.T) {
	tr := &peakTransport{next: http.DefaultTransport.(*http.Transport).Clone()}
	s, err := s3store.Open(context.Background(), "test", settings(freshPrefix(t)),
		s3store.Options{Credentials: creds(), Transport: tr, Concurrency: 2})
	require.NoError(t, err)
	data := randomData(3*5<<20 + 777) // 4 parts of 5 MiB
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Put(context.Background(), "budget/"+string(rune('a'+i)), bytes.NewReader(data), store.PutOptions{})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "put %d", i)
		info, err := store.Verify(context.Background(), s, "budget/"+string(rune('a'+i)))
		require.NoError(t, err)
		assert.Equal(t, int64(len(data)), info.Size)
	}
	assert.LessOrEqual(t, tr.peak.Load(), int64(2), "parts in flight across all Puts")
	assert.GreaterOrEqual(t, tr.peak.Load(), int64(1))
}
