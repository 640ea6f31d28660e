package sim

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rateLimiter is the simulated API boundary node's rate limit: a token
// bucket of rate tokens per second holding at most one second's worth
// (at least one). A request finding the bucket empty is answered 429 Too
// Many Requests with Retry-After (whole seconds, as HTTP requires) and is
// not forwarded to the replica, as ic-boundary does.
type rateLimiter struct {
	rate float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
	// from and until bound the latest Retry-After window announced; a
	// request counts as inside it when it arrives more than
	// retryAfterGrace after from and before until.
	from, until time.Time
}

// retryAfterGrace is how long after a 429 a request still counts as sent
// before the client could have seen the Retry-After (already in flight).
const retryAfterGrace = 250 * time.Millisecond

func newRateLimiter(rate float64) *rateLimiter {
	l := &rateLimiter{}
	l.set(rate)
	return l
}

// set changes the rate (0, negative, NaN or infinite: unlimited) and
// refills the bucket.
func (l *rateLimiter) set(rate float64) {
	if rate <= 0 || math.IsNaN(rate) || math.IsInf(rate, 0) {
		rate = 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rate, l.tokens, l.last = rate, burst(rate), time.Time{}
}

func burst(rate float64) float64 { return math.Max(1, rate) }

// admit takes a token at now. It reports whether the request is admitted,
// whether it arrived inside a Retry-After window announced earlier, and
// for a refused request the Retry-After to announce.
func (l *rateLimiter) admit(now time.Time) (ok, inWindow bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	inWindow = now.Before(l.until) && now.Sub(l.from) > retryAfterGrace
	if l.rate == 0 {
		return true, inWindow, 0
	}
	if !l.last.IsZero() {
		l.tokens = math.Min(burst(l.rate), l.tokens+now.Sub(l.last).Seconds()*l.rate)
	}
	l.last = now
	if l.tokens >= 1 {
		l.tokens--
		return true, inWindow, 0
	}
	wait := time.Duration((1 - l.tokens) / l.rate * float64(time.Second))
	secs := int64(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	retryAfter = time.Duration(secs) * time.Second
	if end := now.Add(retryAfter); !now.Before(l.until) {
		l.from, l.until = now, end
	} else if end.After(l.until) {
		l.until = end
	}
	return false, inWindow, retryAfter
}

// rateLimit wraps the API routes with the limiter (the /_sim/ admin
// routes are not limited).
func (s *Simulator) rateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_sim/") {
			next.ServeHTTP(w, r)
			return
		}
		ok, inWindow, retry := s.limiter.admit(time.Now())
		if ok && !inWindow {
			next.ServeHTTP(w, r)
			return
		}
		s.counters.add(func(c *Counters) {
			if inWindow {
				c.InsideRetryAfter++
			}
			if !ok {
				c.RateLimited++
			}
		})
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Retry-After", strconv.FormatInt(int64(retry/time.Second), 10))
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte("error: rate_limited\ndetails: Rate limit exceeded. Please wait and try again.\n"))
	})
}

// SetRateLimit changes the boundary node's rate limit (requests per second;
// 0 = unlimited) for requests arriving afterwards, e.g. to start shedding
// load in the middle of a backup.
func (s *Simulator) SetRateLimit(rate float64) { s.limiter.set(rate) }
