package agent

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/aviate-labs/agent-go/principal"

	"github.com/canic-backup/canic-backup/driver/agent/transport"
)

// backoff is the delay before attempt n (n >= 1): exponential from the
// initial backoff, capped, with full jitter in [d/2, d].
func (e *Executor) backoff(n int) time.Duration {
	d := time.Duration(e.s.RetryInitialBackoff)
	for i := 1; i < n && d < time.Duration(e.s.RetryMaxBackoff); i++ {
		d *= 2
	}
	if d > time.Duration(e.s.RetryMaxBackoff) {
		d = time.Duration(e.s.RetryMaxBackoff)
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// stopTimeoutAttempts bounds stop_canister attempts that each time out
// (IC0206): every attempt waits the IC's whole stop timeout, and a canister
// that does not stop within a few is not going to; the engine then starts
// it again and fails closed.
const stopTimeoutAttempts = 3

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// callRetry sends an idempotent management call, retrying transient
// failures and lost responses (each attempt is a new request) with bounded
// exponential backoff. lost reports whether an earlier attempt may have
// executed without its reply reaching us.
func (e *Executor) callRetry(ctx context.Context, canister, ecid principal.Principal, method string, arg []byte) (reply []byte, lost bool, err error) {
	for attempt := 1; ; attempt++ {
		reply, err = e.tc.Call(ctx, canister, ecid, method, arg)
		if err == nil || !retryable(err) || ctx.Err() != nil || attempt >= e.s.RetryAttempts ||
			(rejectCode(err) == icStopTimeout && attempt >= stopTimeoutAttempts) {
			return reply, lost, err
		}
		if rejectCode(err) == "" && !errors.Is(err, transport.ErrRateLimited) {
			lost = true // the call may have executed
		}
		d := e.backoff(attempt)
		e.log.Debug("retrying call", "method", method, "canister", ecid.String(), "attempt", attempt, "delay", d, "error", err.Error())
		if err := sleepCtx(ctx, d); err != nil {
			return nil, lost, err
		}
	}
}
