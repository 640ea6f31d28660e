package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/store/dirstore"
)

func TestLeaseRefusesUnreadableRecords(t *testing.T) {
	ctx := context.Background()
	s, err := dirstore.Open(t.TempDir())
	require.NoError(t, err)
	_, err = s.Put(ctx, "locks/run", strings.NewReader(`{"owner":"x"}`), store.PutOptions{})
	require.NoError(t, err)
	_, err = store.AcquireLease(ctx, s, "locks/run", store.LeaseOptions{Host: "h"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"locks/run"`)
	assert.Contains(t, err.Error(), "host")

	bad := `{"owner":"o","host":"h","pid":1,"purpose":"","started_at":"x","renewed_at":"x","expires_at":"soon","released":false}`
	_, err = s.Put(ctx, "locks/run", strings.NewReader(bad), store.PutOptions{})
	require.NoError(t, err)
	_, err = store.AcquireLease(ctx, s, "locks/run", store.LeaseOptions{Host: "h"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `field expires_at = "soon"`)

	_, err = store.AcquireLease(ctx, s, ".canic-lock", store.LeaseOptions{})
	require.ErrorIs(t, err, store.ErrInvalidKey)
}

func TestLeaseKeepAliveStopsOnLoss(t *testing.T) {
	ctx := context.Background()
	s, err := dirstore.Open(t.TempDir())
	require.NoError(t, err)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	l, err := store.AcquireLease(ctx, s, "lock", store.LeaseOptions{Host: "a", PID: 1, TTL: time.Minute, Now: clock})
	require.NoError(t, err)
	// Someone overwrites the record (an operator, or a takeover).
	_, err = s.Put(ctx, "lock", bytes.NewReader([]byte("{}")), store.PutOptions{})
	require.NoError(t, err)
	kctx, cancel := context.WithCancel(ctx)
	defer cancel()
	select {
	case err := <-l.KeepAlive(kctx, 5*time.Millisecond):
		require.ErrorIs(t, err, store.ErrLeaseLost)
	case <-time.After(5 * time.Second):
		t.Fatal("KeepAlive did not report the lost lease")
	}
	// KeepAlive reports nil when its context ends.
	l2, err := store.AcquireLease(ctx, s, "other", store.LeaseOptions{Host: "a", PID: 1, TTL: time.Minute, Now: clock})
	require.NoError(t, err)
	k2, cancel2 := context.WithCancel(ctx)
	ch := l2.KeepAlive(k2, time.Hour)
	cancel2()
	assert.NoError(t, <-ch)
	require.NoError(t, l2.Release(ctx))
	assert.True(t, l2.Record().Released)
}

func TestVerifyingReader(t *testing.T) {
	data := []byte("hello")
	const sum = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	vr := store.NewVerifyingReader(bytes.NewReader(data), "k", sum)
	b, err := io.ReadAll(vr)
	require.NoError(t, err)
	assert.Equal(t, data, b)
	assert.Equal(t, sum, vr.Sum())
	assert.Equal(t, int64(5), vr.N())

	_, err = io.ReadAll(store.NewVerifyingReader(bytes.NewReader([]byte("hellO")), "k", sum))
	var de *store.DigestError
	require.True(t, errors.As(err, &de))
	assert.Equal(t, sum, de.Want)
	assert.Contains(t, err.Error(), `sha256 mismatch for "k"`)
}

// TestLeaseHolderGoneIsTakenOverAtOnce: a live lease whose holder the
// caller knows to be gone is taken over before its expiry and reported by
// TakenOver; without that knowledge it is refused.
func TestLeaseHolderGoneIsTakenOverAtOnce(t *testing.T) {
	ctx := context.Background()
	s, err := dirstore.Open(t.TempDir())
	require.NoError(t, err)
	first, err := store.AcquireLease(ctx, s, "locks/run", store.LeaseOptions{Host: "h", PID: 41, TTL: time.Hour})
	require.NoError(t, err)

	_, err = store.AcquireLease(ctx, s, "locks/run", store.LeaseOptions{Host: "h", PID: 42, TTL: time.Hour,
		HolderGone: func(r store.LeaseRecord) bool { return r.PID == 7 }})
	require.ErrorIs(t, err, store.ErrLocked, "a holder not reported gone keeps its lease")

	var asked store.LeaseRecord
	second, err := store.AcquireLease(ctx, s, "locks/run", store.LeaseOptions{Host: "h", PID: 42, TTL: time.Hour,
		HolderGone: func(r store.LeaseRecord) bool { asked = r; return r.Host == "h" && r.PID == 41 }})
	require.NoError(t, err)
	assert.Equal(t, 41, asked.PID)
	require.NotNil(t, second.TakenOver())
	assert.Equal(t, 41, second.TakenOver().PID)
	require.ErrorIs(t, first.Renew(ctx), store.ErrLeaseLost, "the gone holder, were it alive after all, loses on its next renewal")
	require.NoError(t, second.Release(ctx))
}

// flakyStore fails Puts while failing is set (a store briefly down).
type flakyStore struct {
	store.Store
	mu      sync.Mutex
	failing bool
	fails   int
}

func (f *flakyStore) Put(ctx context.Context, key string, r io.Reader, o store.PutOptions) (store.ObjectInfo, error) {
	f.mu.Lock()
	failing := f.failing
	if failing {
		f.fails++
	}
	f.mu.Unlock()
	if failing {
		return store.ObjectInfo{}, errors.New("connection refused")
	}
	return f.Store.Put(ctx, key, r, o)
}

func (f *flakyStore) set(failing bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing = failing
}

func (f *flakyStore) failures() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fails
}

// TestLeaseKeepAliveRidesOutAStoreOutage: renewals failing for a while are
// retried while the lease is still valid (no report, the lease renewed once
// the store is back); failing until the lease would lapse is reported.
func TestLeaseKeepAliveRidesOutAStoreOutage(t *testing.T) {
	ctx := context.Background()
	dir, err := dirstore.Open(t.TempDir())
	require.NoError(t, err)
	fs := &flakyStore{Store: dir}
	l, err := store.AcquireLease(ctx, fs, "lock", store.LeaseOptions{Host: "a", PID: 1, TTL: 2 * time.Second})
	require.NoError(t, err)
	kctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fs.set(true)
	ch := l.KeepAlive(kctx, 50*time.Millisecond)
	require.Eventually(t, func() bool { return fs.failures() >= 3 }, 5*time.Second, 10*time.Millisecond)
	fs.set(false)
	before := l.Record().RenewedAt
	require.Eventually(t, func() bool { return l.Record().RenewedAt != before }, 5*time.Second, 10*time.Millisecond,
		"renewed once the store answers again")
	select {
	case err := <-ch:
		t.Fatalf("a brief outage was reported: %v", err)
	default:
	}

	fs.set(true)
	select {
	case err := <-ch:
		require.Error(t, err)
		assert.Contains(t, err.Error(), "connection refused")
		assert.NotErrorIs(t, err, store.ErrLeaseLost)
	case <-time.After(10 * time.Second):
		t.Fatal("an outage outlasting the lease was not reported")
	}
}
