package transport

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aviate-labs/agent-go/identity"
	"github.com/aviate-labs/agent-go/principal"
	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// boundary is an httptest boundary node: handle answers each request; it
// records arrivals per endpoint kind and every request that arrived while
// a Retry-After window it announced was still open.
type boundary struct {
	mu       sync.Mutex
	calls    []time.Time
	reads    []time.Time
	until    time.Time
	inWindow int
	handle   func(kind string, n int, w http.ResponseWriter)
}

func (b *boundary) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	now := time.Now()
	if now.Before(b.until) {
		b.inWindow++
	}
	kind := "read"
	if strings.HasSuffix(r.URL.Path, "/call") {
		kind = "call"
		b.calls = append(b.calls, now)
	} else {
		b.reads = append(b.reads, now)
	}
	n := len(b.calls)
	if kind == "read" {
		n = len(b.reads)
	}
	b.mu.Unlock()
	b.handle(kind, n, w)
}

// limit answers 429 with Retry-After secs and opens the window.
func (b *boundary) limit(w http.ResponseWriter, secs string, d time.Duration) {
	b.mu.Lock()
	b.until = time.Now().Add(d)
	b.mu.Unlock()
	w.Header().Set("Retry-After", secs)
	w.WriteHeader(http.StatusTooManyRequests)
}

func (b *boundary) counts() (calls, reads, inWindow int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.calls), len(b.reads), b.inWindow
}

func nonReplicated(t *testing.T, w http.ResponseWriter, code uint64, ec, msg string) {
	body, err := cbor.Marshal(map[string]any{"status": "non_replicated_rejection", "reject_code": code,
		"error_code": ec, "reject_message": msg})
	require.NoError(t, err)
	w.Header().Set("Content-Type", "application/cbor")
	_, _ = w.Write(body)
}

func testClient(t *testing.T, u string, gate *Gate, poll time.Duration) *Client {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	id, err := identity.NewEd25519Identity(key.Public().(ed25519.PublicKey), key)
	require.NoError(t, err)
	pu, err := url.Parse(u)
	require.NoError(t, err)
	c, err := New(Config{URL: pu, RootKey: []byte{1}, Identity: id, IngressExpiry: time.Minute,
		PollTimeout: poll, Gate: gate})
	require.NoError(t, err)
	return c
}

var testECID = principal.Principal{Raw: []byte{0, 0, 0, 0, 0, 0, 0, 1, 1, 1}}

// TestRateLimitedCallWaitsRetryAfterAndNeverPollsReadState: a 429 on call
// means the request was not forwarded; the client waits the Retry-After
// and sends the call again, and never asks read_state about a request the
// IC never saw.
func TestRateLimitedCallWaitsRetryAfterAndNeverPollsReadState(t *testing.T) {
	b := &boundary{}
	b.handle = func(kind string, n int, w http.ResponseWriter) {
		if kind == "call" && n == 1 {
			b.limit(w, "1", time.Second)
			return
		}
		nonReplicated(t, w, 5, "IC0512", "Only controllers of canister x can call stop_canister")
	}
	srv := httptest.NewServer(b)
	defer srv.Close()
	c := testClient(t, srv.URL, nil, time.Minute)

	_, err := c.Call(context.Background(), principal.Principal{}, testECID, "stop_canister", []byte("DIDL\x00\x00"))
	var rej *Reject
	require.ErrorAs(t, err, &rej)
	assert.True(t, rej.Uncertified, "a non_replicated_rejection is an uncertified reject")
	assert.Equal(t, "IC0512", rej.ErrorCode)
	assert.Contains(t, err.Error(), "rejected before execution (uncertified)")
	calls, reads, inWindow := b.counts()
	assert.Equal(t, 2, calls)
	assert.Zero(t, reads, "a 429 on call must not lead to polling read_state")
	assert.Zero(t, inWindow, "no request inside the Retry-After window")
	assert.GreaterOrEqual(t, b.calls[1].Sub(b.calls[0]), time.Second)
	limited, _ := c.cfg.Gate.Stats()
	assert.Equal(t, 1, limited)
}

// TestOneGateHoldsBackEveryClientOfTheProcess: a Retry-After window one
// request was given holds back the requests of every Client sharing the
// Gate (the boundary node rate-limits the process, not one request).
func TestOneGateHoldsBackEveryClientOfTheProcess(t *testing.T) {
	b := &boundary{}
	b.handle = func(kind string, n int, w http.ResponseWriter) {
		if n == 1 {
			b.limit(w, "1", time.Second)
			return
		}
		nonReplicated(t, w, 4, "IC0406", "snapshot limit")
	}
	srv := httptest.NewServer(b)
	defer srv.Close()
	gate := NewGate()
	a, c := testClient(t, srv.URL, gate, time.Minute), testClient(t, srv.URL, gate, time.Minute)

	errs := make(chan error, 1)
	go func() {
		_, err := a.Call(context.Background(), principal.Principal{}, testECID, "take_canister_snapshot", []byte("DIDL\x00\x00"))
		errs <- err
	}()
	require.Eventually(t, func() bool { l, _ := gate.Stats(); return l == 1 }, 5*time.Second, 5*time.Millisecond)
	_, err := c.Call(context.Background(), principal.Principal{}, testECID, "take_canister_snapshot", []byte("DIDL\x00\x00"))
	require.ErrorContains(t, err, "IC0406")
	require.ErrorContains(t, <-errs, "IC0406")
	calls, _, inWindow := b.counts()
	assert.Equal(t, 3, calls)
	assert.Zero(t, inWindow, "the second client waited for the window the first was given")
	_, waits := gate.Stats()
	assert.GreaterOrEqual(t, waits, 2, "both clients were held back")
}

// TestRateLimitedReadStateWaitsAndReadsAgain: a 429 on read_state while
// polling only waits and reads again; the call is not sent again.
func TestRateLimitedReadStateWaitsAndReadsAgain(t *testing.T) {
	b := &boundary{}
	b.handle = func(kind string, n int, w http.ResponseWriter) {
		switch {
		case kind == "call":
			w.WriteHeader(http.StatusAccepted)
		case n <= 2:
			b.limit(w, time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat), time.Second)
		default:
			w.WriteHeader(http.StatusBadRequest) // ends the poll with a definite error
			_, _ = w.Write([]byte("done"))
		}
	}
	srv := httptest.NewServer(b)
	defer srv.Close()
	c := testClient(t, srv.URL, nil, time.Minute)
	_, err := c.Call(context.Background(), principal.Principal{}, testECID, "canister_status", []byte("DIDL\x00\x00"))
	require.Error(t, err)
	var he *HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusBadRequest, he.Status)
	calls, reads, inWindow := b.counts()
	assert.Equal(t, 1, calls, "the call is sent once")
	assert.Equal(t, 3, reads)
	assert.Zero(t, inWindow)
}

// TestPersistentRateLimitGivesUpAsNotSent: past the deadline the client
// reports ErrRateLimited (not sent; transient), without polling.
func TestPersistentRateLimitGivesUpAsNotSent(t *testing.T) {
	b := &boundary{}
	b.handle = func(kind string, n int, w http.ResponseWriter) { b.limit(w, "1", time.Second) }
	srv := httptest.NewServer(b)
	defer srv.Close()
	c := testClient(t, srv.URL, nil, 2500*time.Millisecond)
	_, err := c.Call(context.Background(), principal.Principal{}, testECID, "start_canister", []byte("DIDL\x00\x00"))
	require.ErrorIs(t, err, ErrRateLimited)
	assert.ErrorIs(t, err, ErrTransient)
	assert.False(t, errors.Is(err, ErrOutcomeUnknown), "a request never sent has no unknown outcome")
	calls, reads, inWindow := b.counts()
	assert.GreaterOrEqual(t, calls, 2)
	assert.Zero(t, reads)
	assert.Zero(t, inWindow)
}

// TestPollPastItsDeadlineIsAnUnknownOutcome: a call that was accepted but
// whose status never became final may still run: its outcome is unknown,
// not a failure.
func TestPollPastItsDeadlineIsAnUnknownOutcome(t *testing.T) {
	b := &boundary{}
	b.handle = func(kind string, n int, w http.ResponseWriter) {
		if kind == "call" {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	srv := httptest.NewServer(b)
	defer srv.Close()
	c := testClient(t, srv.URL, nil, 400*time.Millisecond)
	_, err := c.Call(context.Background(), principal.Principal{}, testECID, "stop_canister", []byte("DIDL\x00\x00"))
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	assert.ErrorIs(t, err, ErrTransient, "an idempotent call may still be sent again")
	assert.False(t, errors.Is(err, context.DeadlineExceeded), "the poll's own deadline is not the caller's")
	var ou *OutcomeUnknownError
	require.ErrorAs(t, err, &ou)
	assert.Equal(t, "stop_canister", ou.Method)
}

func TestRetryAfterParsesSecondsAndHTTPDates(t *testing.T) {
	now := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	d, ok := retryAfter("7", now)
	assert.True(t, ok)
	assert.Equal(t, 7*time.Second, d)
	d, ok = retryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now)
	assert.True(t, ok)
	assert.Equal(t, 90*time.Second, d)
	d, ok = retryAfter(now.Add(-time.Minute).Format(http.TimeFormat), now)
	assert.True(t, ok)
	assert.Zero(t, d, "a date in the past means now")
	for _, bad := range []string{"", "soon", "-3", "1.5"} {
		_, ok = retryAfter(bad, now)
		assert.False(t, ok, bad)
	}
	for i := 0; i < 100; i++ {
		d := rateLimitDelay("2", 1, now)
		assert.GreaterOrEqual(t, d, 2*time.Second, "never earlier than Retry-After")
		assert.LessOrEqual(t, d, 2200*time.Millisecond, "jitter at most 10%")
		d = rateLimitDelay("", 3, now)
		assert.GreaterOrEqual(t, d, time.Second)
		assert.LessOrEqual(t, d, 2*time.Second)
	}
}
