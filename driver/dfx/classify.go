package dfx

import (
	"errors"
	"regexp"
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
	// Checked first: these texts also contain "timed out", "SysTransient"
	// or a canister id, which the general cases below would match.
	case has("IC0207", "is out of cycles"):
		return pluginapi.CodeCycles
	case has("IC0206", "Stop canister request timed out"):
		return pluginapi.CodeStopTimeout
	case has("429 Too Many Requests", "rate_limited", "Rate limit exceeded"):
		return pluginapi.CodeRateLimited
	case has("TimeoutWaitingForResponse", "Timeout waiting for response", "certificate verification failed",
		"Certificate verification failed", "CertificateVerificationFailed"):
		// The call was submitted; icp gave up waiting for (or could not
		// verify) its outcome: it may have run.
		return pluginapi.CodeUnknown
	case has("is currently running", "is not stopped", "must be stopped", "IC0508", "Please stop the canister first"):
		return pluginapi.CodeNotStopped
	case has("Only the controllers", "IC0512", "not authorized", "Unauthorized"):
		return pluginapi.CodeUnauthorized
	case has("was not found", "not found", "IC0301", "IC0302", "IC0305", "Could not find", "does not exist", "No such canister"):
		return pluginapi.CodeNotFound
	case has("error sending request", "communication with the replica", "Connection refused", "connection refused",
		"SysTransient", "IC0201", "IC0515", "timed out", "503"):
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

// cyclesDetail extracts the balance and freezing threshold from the IC's
// IC0207 text ("... requested R cycles but the available balance is B
// cycles and the freezing threshold F cycles"); ok is false when the text
// does not carry them.
func cyclesDetail(text string) (balance, threshold string, ok bool) {
	m := cyclesRe.FindStringSubmatch(text)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

var cyclesRe = regexp.MustCompile(`available balance is ([0-9_]+) cycles and the freezing threshold ([0-9_]+) cycles`)

var cyclesCanisterRe = regexp.MustCompile(`[Cc]anister ([a-z0-9]{5}(?:-[a-z0-9]{1,5})+) is out of cycles`)

// protocolError is the package's protocolError with an out-of-cycles
// failure explained for this executor's network (cyclesError).
func (e *Executor) protocolError(what string, err error) error {
	return e.sel.cyclesError(protocolError(what, err), err)
}

// readError is protocolError for a read (status, snapshot list, registry,
// snapshot download): an unknown outcome is reported as transient, since a
// read changes nothing and running it again is always safe.
func (e *Executor) readError(what string, err error) error {
	out := e.protocolError(what, err)
	var pe *pluginapi.Error
	if errors.As(out, &pe) && pe.Code == pluginapi.CodeUnknown {
		return &pluginapi.Error{Code: pluginapi.CodeTransient, Message: pe.Message, Executor: pe.Executor}
	}
	return out
}

// topUpCommand is the command that tops canister up with 1T cycles on the
// selection's network (any identity holding cycles may pay; the
// executor's private identity is not named).
func (n selection) topUpCommand(canister string) string {
	if n.flavor == FlavorDFX {
		return "dfx cycles top-up " + canister + " 1000000000000 --network " + n.network
	}
	cmd := "icp canister top-up --amount 1t " + canister
	if n.environment != "" {
		return cmd + " -e " + n.environment
	}
	cmd += " -n " + n.network
	if isURL(n.network) && n.rootKey != "" {
		cmd += " -k " + n.rootKey
	}
	return cmd
}

// cyclesError turns an out-of-cycles failure (code cycles) into one whose
// message names the canister, its balance when icp printed it, and the
// top-up command; other errors are returned as they are.
func (n selection) cyclesError(err, cause error) error {
	var pe *pluginapi.Error
	var ce *CommandError
	if !errors.As(err, &pe) || pe.Code != pluginapi.CodeCycles || !errors.As(cause, &ce) {
		return err
	}
	canister := "(unnamed)"
	if m := cyclesCanisterRe.FindStringSubmatch(ce.Stderr); m != nil {
		canister = m[1]
	}
	bal := "unknown"
	if b, f, ok := cyclesDetail(ce.Stderr); ok {
		bal = b + " cycles (freezing threshold " + f + " cycles)"
	}
	return &pluginapi.Error{Code: pluginapi.CodeCycles, Message: "canister " + canister + " is out of cycles (IC0207): balance " + bal +
		"; top it up, then run again: " + n.topUpCommand(canister) + "; " + pe.Message}
}
