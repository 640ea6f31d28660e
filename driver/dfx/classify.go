package dfx

import (
	"errors"
	"strings"

	"github.com/canic-backup/canic-backup/pluginapi"
)

// classify picks the protocol Code of a failed command from the CLI's
// stderr (icp and dfx print the replica's reject text and IC error codes).
func classify(err error) pluginapi.Code {
	var ce *CommandError
	if !errors.As(err, &ce) {
		return pluginapi.CodeInternal
	}
	if errors.Is(ce.Err, ErrCommandTimeout) {
		return pluginapi.CodeTransient
	}
	if errors.Is(ce.Err, ErrUnparsable) {
		return pluginapi.CodeInternal
	}
	text := ce.Stderr
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(text, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("is currently running", "is not stopped", "must be stopped", "IC0508", "Please stop the canister first"):
		return pluginapi.CodeNotStopped
	case has("Only the controllers", "IC0512", "not authorized", "Unauthorized"):
		return pluginapi.CodeUnauthorized
	case has("was not found", "not found", "IC0301", "IC0302", "IC0305", "Could not find", "does not exist", "No such canister"):
		return pluginapi.CodeNotFound
	case has("error sending request", "communication with the replica", "Connection refused", "connection refused",
		"TimeoutWaitingForResponse", "SysTransient", "IC0101", "IC0515", "timed out", "IC0207", "is out of cycles and frozen", "503"):
		return pluginapi.CodeTransient
	case ce.ExitStatus == 2 || has("unexpected argument", "Usage:", "invalid value"):
		return pluginapi.CodeInvalidArgument
	}
	return pluginapi.CodeInternal
}

// protocolError turns a run or parse failure into the *pluginapi.Error the
// engine classifies, prefixed with what was being done. A cancellation is
// returned unchanged (it wraps ctx.Err()).
func protocolError(what string, err error) error {
	if err == nil {
		return nil
	}
	var ce *CommandError
	if !errors.As(err, &ce) {
		return err
	}
	return &pluginapi.Error{Code: classify(err), Message: what + ": " + err.Error()}
}
