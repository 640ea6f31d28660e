package agent

import (
	"context"
	"errors"
	"time"

	"github.com/aviate-labs/agent-go/principal"

	"github.com/canic-backup/canic-backup/driver/agent/transport"
	"github.com/canic-backup/canic-backup/internal/retry"
)

// callPolicy is the retry policy of management calls: the settings'
// attempts and backoff (exponential from the initial backoff, capped,
// jitter in [d/2, d]); transient failures and lost responses are retried,
// a stop that times out (IC0206) at most stopTimeoutAttempts times.
func (e *Executor) callPolicy() retry.Policy {
	return retry.Policy{
		Attempts: e.s.RetryAttempts,
		Initial:  time.Duration(e.s.RetryInitialBackoff),
		Max:      time.Duration(e.s.RetryMaxBackoff),
		Jitter:   retry.HalfJitter,
		Retryable: func(err error, attempt int) bool {
			return retryable(err) && !(rejectCode(err) == icStopTimeout && attempt >= stopTimeoutAttempts)
		},
	}
}

// backoff is the delay before attempt n+1 after the n-th failed one
// (n >= 1): callPolicy's Delay.
func (e *Executor) backoff(n int) time.Duration { return e.callPolicy().Delay(n) }

// stopTimeoutAttempts bounds stop_canister attempts that each time out
// (IC0206): every attempt waits the IC's whole stop timeout, and a canister
// that does not stop within a few is not going to; the engine then starts
// it again and fails closed.
const stopTimeoutAttempts = 3

func sleepCtx(ctx context.Context, d time.Duration) error { return retry.Sleep(ctx, d) }

// callRetry sends an idempotent management call, retrying transient
// failures and lost responses (each attempt is a new request) under
// callPolicy. lost reports whether an earlier attempt may have executed
// without its reply reaching us.
func (e *Executor) callRetry(ctx context.Context, canister, ecid principal.Principal, method string, arg []byte) (reply []byte, lost bool, err error) {
	p := e.callPolicy()
	for attempt := 1; ; attempt++ {
		reply, err = e.tc.Call(ctx, canister, ecid, method, arg)
		if !p.Again(ctx, attempt, err) {
			return reply, lost, err
		}
		if rejectCode(err) == "" && !errors.Is(err, transport.ErrRateLimited) {
			lost = true // the call may have executed
		}
		d := p.Delay(attempt)
		e.log.Debug("retrying call", "method", method, "canister", ecid.String(), "attempt", attempt, "delay", d, "error", err.Error())
		if err := retry.Sleep(ctx, d); err != nil {
			return nil, lost, err
		}
	}
}
