package agent

import (
	"context"
	"errors"
	"fmt"

	"github.com/canic-backup/canic-backup/driver/agent/transport"
	"github.com/canic-backup/canic-backup/pluginapi"
)

// IC error codes the driver classifies.
const (
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
	case errors.Is(err, transport.ErrTransient), errors.Is(err, transport.ErrResponseLost):
		code = pluginapi.CodeTransient
	}
	return &pluginapi.Error{Code: code, Message: fmt.Sprintf("%s %s: %v", op, subject, err)}
}

// isDefiniteReject reports whether err is a certified reject other than a
// transient one: the call certainly did not take effect.
func isDefiniteReject(err error) bool {
	var rej *transport.Reject
	return errors.As(err, &rej) && rej.Code != transport.RejectSysTransient
}

// retryable reports whether a call may be sent again as is.
func retryable(err error) bool {
	var rej *transport.Reject
	if errors.As(err, &rej) {
		return rej.Code == transport.RejectSysTransient
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
