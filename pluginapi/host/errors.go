package host

import (
	"context"
	"errors"
	"fmt"

	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/pluginapi"
)

// Class is the one classification of a plugin failure that both engines
// use: the plugin's code, whether the outcome is definite, and the text to
// record with the code said once.
type Class struct {
	// Code is the plugin error code ("not-stopped", "transient", ...);
	// empty when the error carries none.
	Code pluginapi.Code
	// Definite is false when the operation's outcome is unknown: the
	// plugin process died, the call was cancelled or timed out, or the
	// code is transient, rate-limited or unknown. Such an operation may
	// have happened and is settled from the canister's state.
	Definite bool
	// Message is the error's text without the code the status carries.
	Message string
}

// Classify classifies a non-nil plugin error.
func Classify(err error) Class {
	c := Class{Code: pluginapi.CodeOf(err), Message: Message(err), Definite: true}
	var exit *pluginapi.ExitError
	switch {
	case errors.As(err, &exit), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		c.Definite = false
	case c.Code == pluginapi.CodeTransient, c.Code == pluginapi.CodeRateLimited, c.Code == pluginapi.CodeUnknown:
		// Transient, rate limited (never sent) and unknown outcomes are
		// not definite.
		c.Definite = false
	}
	return c
}

// Message is err's text without the code a status already carries: a
// bare *pluginapi.Error renders "executor "x": MESSAGE" rather than
// "CODE: ...", so a journal or error line reads "failed: transient:
// executor "x": ..." with the code once. A wrapped error keeps its whole
// text (the wrapper's context matters).
func Message(err error) string {
	var pe *pluginapi.Error
	if errors.As(err, &pe) && error(pe) == err {
		if pe.Executor != "" {
			return fmt.Sprintf("executor %q: %s", pe.Executor, pe.Message)
		}
		return pe.Message
	}
	return err.Error()
}

// RunnerError renders a plugin error for the backup journal: a
// *runner.CommandError whose status is the plugin error code, or "plugin"
// when it has none. nil stays nil.
func RunnerError(err error) error {
	if err == nil {
		return nil
	}
	c := Classify(err)
	status := string(c.Code)
	if status == "" {
		status = "plugin"
	}
	return &runner.CommandError{Status: status, Message: c.Message}
}

// RestoreError renders a plugin error for the restore journal: a definite
// failure is a *restore.CommandError with the code as its status (its
// text naming the code once, unwrapping to the plugin error); a failure
// whose outcome is unknown is returned as is, so the operation stays
// pending on disk, to be resumed with --unclaim-pending and --execute
// (uploads find their intent again). nil stays nil.
func RestoreError(err error) error {
	if err == nil {
		return nil
	}
	c := Classify(err)
	if !c.Definite {
		return err
	}
	return &restore.CommandError{Status: string(c.Code), Err: codeOnce{err}}
}

// codeOnce renders a plugin error without the code its CommandError's
// status already names (see Message) and unwraps to it, so errors.Is/As
// still see the plugin error.
type codeOnce struct{ err error }

func (c codeOnce) Error() string { return Message(c.err) }
func (c codeOnce) Unwrap() error { return c.err }
