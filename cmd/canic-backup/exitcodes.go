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
)

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

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var u *usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	var v *verifyError
	if errors.As(err, &v) {
		return exitVerifyFailed
	}
	return exitFailure
}
