package main

import (
	"errors"
	"fmt"
)

// Exit codes of canic-backup. They are part of the command's contract:
// scripts branch on them.
const (
	// exitOK means the command did what was asked.
	exitOK = 0
	// exitFailure means the command failed (bad input file, I/O, executor).
	exitFailure = 1
	// exitUsage means the command line itself was wrong (unknown or missing
	// flags, unexpected arguments).
	exitUsage = 2
	// exitVerifyFailed means a verification ran and found the backup bad.
	exitVerifyFailed = 3
	// exitNeedsAttention means the command did its part but left something
	// an operator must see to: canisters a backup stopped and did not
	// start (run `backup recover`).
	exitNeedsAttention = 4
)

// exitCodesHelp documents the exit codes in --help.
const exitCodesHelp = `EXIT CODES:
   0  ok
   1  failed (bad input file, I/O, executor error)
   2  usage error (unknown or missing flags, unexpected arguments)
   3  verification ran and found the backup bad
   4  needs attention: canisters were left stopped (see backup recover)`

// usageError is a command-line mistake; it exits with exitUsage.
type usageError struct {
	msg string
}

func (e *usageError) Error() string { return e.msg }

// usagef builds a usageError.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// verifyError is a verification that ran and failed; it exits with
// exitVerifyFailed. It wraps the cause so errors.Is/As still work.
type verifyError struct {
	err error
}

func (e *verifyError) Error() string { return e.err.Error() }
func (e *verifyError) Unwrap() error { return e.err }

// verifyFailed marks err as a failed verification.
func verifyFailed(err error) error {
	if err == nil {
		return nil
	}
	return &verifyError{err: err}
}

// attentionError is an outcome an operator must act on; it exits with
// exitNeedsAttention. It wraps its cause, if any (for example a
// *runner.RestartError), so errors.Is/As still work.
type attentionError struct {
	msg string
	err error
}

func (e *attentionError) Error() string { return e.msg }
func (e *attentionError) Unwrap() error { return e.err }

// needsAttention marks an outcome that exits with exitNeedsAttention: the
// cause's text (if any), then a line saying what to do.
func needsAttention(cause error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if cause != nil {
		msg = cause.Error() + "\n" + msg
	}
	return &attentionError{msg: msg, err: cause}
}

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var u *usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	var a *attentionError
	if errors.As(err, &a) {
		return exitNeedsAttention
	}
	var v *verifyError
	if errors.As(err, &v) {
		return exitVerifyFailed
	}
	return exitFailure
}
