package dfx

import (
	"context"
	"time"

	"github.com/canic-backup/canic-backup/internal/retry"
	"github.com/canic-backup/canic-backup/pluginapi"
)

// transientAttempts bounds how often an idempotent command (see
// idempotentOps, and downloads) is run when it fails transiently (a SYS_TRANSIENT reject, an
// unreachable replica, a lost response): the IC asks callers to retry
// those, and the engine's own retry costs a whole operation.
const transientAttempts = 5

// idempotentOps are the commands that may run again after a transient
// failure whose effect is unknown: reads, and state changes whose repetition
// changes nothing (stopping a stopped canister, loading the same snapshot).
// CreateSnapshot, DeleteSnapshot and UploadSnapshot are not among them: the
// engine reconciles those (snapshot intents) instead.
var idempotentOps = map[string]bool{
	"CanisterStatus": true, "StopCanister": true, "StartCanister": true, "ListSnapshots": true,
	"LoadSnapshot": true, "QueryRegistry": true,
}

// stopTimeoutAttempts bounds the runs of a stop that times out (IC0206):
// each waits the IC's whole stop timeout, and a canister that does not
// stop within a few is not going to; the engine then starts it again and
// fails closed.
const stopTimeoutAttempts = 3

// retryableCode reports whether an idempotent command failing with code on
// its attempt-th run may run again: transient failures, rate limiting (the
// request was not sent), unknown outcomes (running an idempotent command
// again is harmless), and stop timeouts within stopTimeoutAttempts. Out of
// cycles is never retried.
func retryableCode(code pluginapi.Code, attempt int) bool {
	switch code {
	case pluginapi.CodeTransient, pluginapi.CodeRateLimited, pluginapi.CodeUnknown:
		return true
	case pluginapi.CodeStopTimeout:
		return attempt < stopTimeoutAttempts
	}
	return false
}

// transientPolicy is the retry policy of idempotent commands:
// transientAttempts runs, 100ms, 200ms, 400ms... apart (no cap, no
// jitter), again only for the codes retryableCode allows.
var transientPolicy = retry.Policy{
	Attempts: transientAttempts,
	Initial:  100 * time.Millisecond,
	Retryable: func(err error, attempt int) bool {
		return retryableCode(classify(err), attempt)
	},
}

// retryTransient runs f under transientPolicy until it succeeds, fails
// other than transiently, ctx ends (f's last error is returned), or
// transientAttempts runs were made. Only idempotent commands may use it: a
// snapshot create or upload whose response was lost must not run again
// blindly.
func retryTransient(ctx context.Context, f func() error) error {
	return transientPolicy.Do(ctx, func(int) error { return f() })
}
