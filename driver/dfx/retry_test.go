package dfx

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRetryTransientRetriesOnlyTransientFailures(t *testing.T) {
	transient := &CommandError{Command: "icp canister stop x", ExitStatus: 1, Stderr: "reject code SysTransient", Err: errors.New("exit 1")}
	calls := 0
	err := retryTransient(context.Background(), func() error {
		calls++
		if calls < 3 {
			return transient
		}
		return nil
	})
	assert.NoError(t, err)
	assert.Equal(t, 3, calls, "two transient failures, then success")

	calls = 0
	denied := &CommandError{Command: "icp canister stop x", ExitStatus: 1, Stderr: "Only the controllers", Err: errors.New("exit 1")}
	err = retryTransient(context.Background(), func() error { calls++; return denied })
	assert.Same(t, denied, err)
	assert.Equal(t, 1, calls, "a definite failure is not retried")

	calls = 0
	err = retryTransient(context.Background(), func() error { calls++; return transient })
	assert.Same(t, transient, err)
	assert.Equal(t, transientAttempts, calls, "bounded")
}

// TestRetryBoundsStopTimeoutsAndNeverRetriesOutOfCycles: a stop that times
// out (IC0206, as icp 1.5.0 prints it) runs stopTimeoutAttempts times in
// all; out of cycles (IC0207) runs once; a 429 icp gave up on runs again.
func TestRetryBoundsStopTimeoutsAndNeverRetriesOutOfCycles(t *testing.T) {
	for file, want := range map[string]int{
		"icp_stop_timeout.stderr":        stopTimeoutAttempts,
		"icp_stop_out_of_cycles.stderr":  1,
		"icp_status_rate_limited.stderr": transientAttempts,
	} {
		ce := &CommandError{Command: "icp canister stop x", ExitStatus: 1, Stderr: recordedStderr(t, file), Err: errors.New("exit 1")}
		calls := 0
		err := retryTransient(context.Background(), func() error { calls++; return ce })
		assert.Same(t, ce, err)
		assert.Equal(t, want, calls, file)
	}
	assert.Equal(t, 3, stopTimeoutAttempts)
}
