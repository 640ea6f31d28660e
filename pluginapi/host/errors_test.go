package host

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/pluginapi"
)

// TestCommandErrorNamesTheCodeOnce: a plugin error's code becomes the
// journal status and is not repeated in the message, so the failure reads
// "transient: executor "agent": ..." and not "transient: executor ...:
// transient: ...".
func TestCommandErrorNamesTheCodeOnce(t *testing.T) {
	err := RunnerError(&pluginapi.Error{Code: pluginapi.CodeTransient, Message: "replica busy", Executor: "agent"})
	var ce *runner.CommandError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "transient", ce.Status)
	assert.Equal(t, `executor "agent": replica busy`, ce.Message)

	failed := &runner.CommandFailedError{Sequence: 3, Status: ce.Status, Message: ce.Message}
	assert.Equal(t, `backup operation 3 failed: transient: executor "agent": replica busy`, failed.Error())

	// A wrapped error keeps its whole text (the wrapper's context matters).
	wrapped := RunnerError(fmt.Errorf("download chunk 4: %w", &pluginapi.Error{Code: pluginapi.CodeTransient, Message: "reset"}))
	require.ErrorAs(t, wrapped, &ce)
	assert.Equal(t, "download chunk 4: transient: reset", ce.Message)
}

// TestRestoreErrorNamesTheCodeOnce: a restore command failure names the
// plugin code once, as a backup one does, and still unwraps to the plugin
// error.
func TestRestoreErrorNamesTheCodeOnce(t *testing.T) {
	pe := &pluginapi.Error{Code: pluginapi.CodeNotFound, Message: "no such snapshot", Executor: "agent"}
	err := RestoreError(pe)
	assert.Equal(t, `command failed with status not-found: executor "agent": no such snapshot`, err.Error())
	var got *pluginapi.Error
	require.ErrorAs(t, err, &got)
	assert.Same(t, pe, got)
}

// TestRestoreErrorKeepsUndecidedOutcomesPending: an executor failure that
// says nothing definite (transient, rate limited: never sent, unknown: may
// have run) leaves the restore operation pending; a definite one (out of
// cycles, stop timeout, unauthorized) is a *restore.CommandError with the
// code as its status.
func TestRestoreErrorKeepsUndecidedOutcomesPending(t *testing.T) {
	for _, code := range []pluginapi.Code{pluginapi.CodeTransient, pluginapi.CodeRateLimited, pluginapi.CodeUnknown} {
		err := RestoreError(pluginapi.Errorf(code, "x"))
		var ce *restore.CommandError
		assert.False(t, errors.As(err, &ce), "%s stays pending", code)
	}
	for _, code := range []pluginapi.Code{pluginapi.CodeCycles, pluginapi.CodeStopTimeout, pluginapi.CodeUnauthorized} {
		err := RestoreError(pluginapi.Errorf(code, "x"))
		var ce *restore.CommandError
		require.ErrorAs(t, err, &ce, "%s is definite", code)
		assert.Equal(t, string(code), ce.Status)
	}
}
