package agent

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/canic-backup/canic-backup/driver/agent/transport"
	"github.com/canic-backup/canic-backup/pluginapi"
)

// IC error codes the driver classifies.
const (
	icSubnetOversubscribed     = "IC0101"
	icStopTimeout              = "IC0206"
	icOutOfCycles              = "IC0207"
	icCanisterNotFound         = "IC0301"
	icSnapshotNotFound         = "IC0305"
	icInvalidManagementPayload = "IC0408"
	icInvalidController        = "IC0512"
	icMethodNotFound           = "IC0536"
)

// classify turns err from operation op on subject into a *pluginapi.Error,
// keeping context cancellation visible to errors.Is.
func classify(op, subject string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, transport.ErrOutcomeUnknown) || errors.Is(err, transport.ErrResponseLost) {
		// Checked first: a poll past its own deadline is not the caller's
		// cancellation, and the call may have run.
		var pe *pluginapi.Error
		if errors.As(err, &pe) {
			return err
		}
		return &pluginapi.Error{Code: pluginapi.CodeUnknown, Message: fmt.Sprintf("%s %s: %v; reconcile from the canister's status and snapshot list", op, subject, err)}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		var pe *pluginapi.Error
		if errors.As(err, &pe) {
			return err
		}
		return fmt.Errorf("%s %s: %w", op, subject, err)
	}
	var pe *pluginapi.Error
	if errors.As(err, &pe) {
		return err
	}
	code := pluginapi.CodeInternal
	var rej *transport.Reject
	switch {
	case errors.As(err, &rej):
		switch {
		case rej.ErrorCode == icOutOfCycles:
			return &pluginapi.Error{Code: pluginapi.CodeCycles, Message: cyclesMessage(op, subject, nil, err)}
		case rej.ErrorCode == icStopTimeout:
			code = pluginapi.CodeStopTimeout
		case rej.Code == transport.RejectSysTransient:
			code = pluginapi.CodeTransient
		case rej.ErrorCode == icCanisterNotFound || rej.ErrorCode == icSnapshotNotFound ||
			rej.Code == transport.RejectDestinationInvalid:
			code = pluginapi.CodeNotFound
		case rej.ErrorCode == icInvalidController:
			code = pluginapi.CodeUnauthorized
		case rej.ErrorCode == icInvalidManagementPayload:
			code = pluginapi.CodeInvalidArgument
		}
	case errors.Is(err, transport.ErrRateLimited):
		code = pluginapi.CodeRateLimited
	case errors.Is(err, transport.ErrTransient):
		code = pluginapi.CodeTransient
	}
	return &pluginapi.Error{Code: code, Message: fmt.Sprintf("%s %s: %v", op, subject, err)}
}

// isDefiniteReject reports whether err is a certified reject other than a
// transient one, or any non-replicated (uncertified) rejection: either way
// the call certainly did not take effect.
func isDefiniteReject(err error) bool {
	var rej *transport.Reject
	return errors.As(err, &rej) && (rej.Code != transport.RejectSysTransient || rej.Uncertified)
}

// retryable reports whether a call may be sent again as is. Out of cycles
// (IC0207) is SYS_TRANSIENT on the IC but cannot pass until someone tops
// the canister up: it is not retried.
func retryable(err error) bool {
	var rej *transport.Reject
	if errors.As(err, &rej) {
		return rej.Code == transport.RejectSysTransient && rej.ErrorCode != icOutOfCycles
	}
	return errors.Is(err, transport.ErrTransient) || errors.Is(err, transport.ErrResponseLost)
}

func rejectCode(err error) string {
	var rej *transport.Reject
	if errors.As(err, &rej) {
		return rej.ErrorCode
	}
	return ""
}

// cyclesMessage says that op on subject ("canister@network") failed for
// lack of cycles: the canister, its balance when known, and the command
// that tops it up.
func cyclesMessage(op, subject string, balance *uint64, err error) string {
	id, network, _ := strings.Cut(subject, "@")
	bal := "unknown (canister_status refused too)"
	if m := cyclesRe.FindStringSubmatch(err.Error()); m != nil && balance == nil {
		bal = m[1] + " cycles (freezing threshold " + m[2] + " cycles)"
	}
	if balance != nil {
		bal = fmt.Sprintf("%d cycles (%s)", *balance, cyclesText(*balance))
	}
	return fmt.Sprintf("%s %s: canister %s is out of cycles (IC0207): balance %s; top it up, then run again: %s (%v)",
		op, subject, id, bal, TopUpCommand(id, network, "1t"), err)
}

// cyclesRe reads the balance and freezing threshold from the IC's IC0207
// text ("... but the available balance is B cycles and the freezing
// threshold F cycles").
var cyclesRe = regexp.MustCompile(`available balance is ([0-9_]+) cycles and the freezing threshold ([0-9_]+) cycles`)

// TopUpCommand is the icp 1.5.0 command that sends amount cycles (with
// icp's k/m/b/t suffixes) to canister id on network (empty: icp's default).
func TopUpCommand(id, network, amount string) string {
	cmd := "icp canister top-up --amount " + amount + " " + id
	if network != "" {
		cmd += " -n " + network
	}
	return cmd
}

// cyclesText renders n with icp's unit suffixes, e.g. 1.5T.
func cyclesText(n uint64) string {
	switch {
	case n >= 1e12:
		return fmt.Sprintf("%.3gT", float64(n)/1e12)
	case n >= 1e9:
		return fmt.Sprintf("%.3gB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.3gM", float64(n)/1e6)
	}
	return fmt.Sprint(n)
}

// readsAreNeverUnknown reports a read's unknown outcome (status, snapshot
// list, registry, snapshot data) as transient: a read changes nothing, so
// there is nothing to reconcile and running it again is always safe.
func readsAreNeverUnknown(err error) error {
	var pe *pluginapi.Error
	if errors.As(err, &pe) && pe.Code == pluginapi.CodeUnknown {
		return &pluginapi.Error{Code: pluginapi.CodeTransient, Message: pe.Message, Executor: pe.Executor}
	}
	return err
}
