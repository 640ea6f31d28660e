package pluginapi

import (
	"errors"
	"fmt"
)

// Code is the stable class of an executor failure; the engine decides from
// it what to retry. A Code is itself an error, so that
// errors.Is(err, pluginapi.CodeNotFound) tests the class of any error chain.
type Code string

// The error codes of the plugin protocol. Their spellings cross the process
// boundary and must never change.
const (
	// CodeNotFound: the canister or snapshot does not exist.
	CodeNotFound Code = "not-found"
	// CodeNotStopped: the operation needs a stopped canister.
	CodeNotStopped Code = "not-stopped"
	// CodeUnauthorized: the executor's identity may not do this.
	CodeUnauthorized Code = "unauthorized"
	// CodeTransient: a failure worth retrying (network, replica busy, the
	// plugin process died).
	CodeTransient Code = "transient"
	// CodeInvalidArgument: the request is malformed; retrying cannot help.
	CodeInvalidArgument Code = "invalid-argument"
	// CodeInternal: anything else; not retried.
	CodeInternal Code = "internal"
	// CodeCycles: the canister cannot pay for the call (IC0207
	// CanisterOutOfCycles, or frozen); retrying cannot help until it is
	// topped up. The message names the canister, its balance when known and
	// the top-up command.
	CodeCycles Code = "cycles"
	// CodeRateLimited: a boundary node kept refusing the request with HTTP
	// 429 past the executor's own waiting; the request was never sent, so
	// retrying later is safe.
	CodeRateLimited Code = "rate-limited"
	// CodeStopTimeout: stop_canister timed out (IC0206) on every attempt
	// within the executor's bound; the canister may be left stopping, and
	// the engine must start it again and fail closed.
	CodeStopTimeout Code = "stop-timeout"
	// CodeUnknown: the call was (or may have been) delivered but its outcome
	// could not be learned (a poll past its deadline, a certificate that
	// failed after submission, a reply lost after a 5xx). It is not a
	// definite failure: the engine reconciles from the canister's state
	// (status, snapshot list) before deciding.
	CodeUnknown Code = "unknown"
)

// Error implements error so a Code can be the target of errors.Is.
func (c Code) Error() string { return string(c) }

// Retryable reports whether an operation failing with c may be retried.
func (c Code) Retryable() bool { return c == CodeTransient || c == CodeRateLimited }

// known reports whether c is one of the protocol's codes.
func (c Code) known() bool {
	switch c {
	case CodeNotFound, CodeNotStopped, CodeUnauthorized, CodeTransient, CodeInvalidArgument, CodeInternal,
		CodeCycles, CodeRateLimited, CodeStopTimeout, CodeUnknown:
		return true
	}
	return false
}

// Error is an executor failure with a stable Code and a message. It crosses
// the process boundary intact (as a gRPC status with an ErrorDetail).
type Error struct {
	// Code classifies the failure.
	Code Code
	// Message says what failed, naming the canister, snapshot or file.
	Message string
	// Executor names the executor the error came from; set on the host side.
	Executor string

	// transport marks a gRPC failure that carried no ErrorDetail, i.e. one
	// the plugin's server did not produce (connection lost, process died).
	transport bool
}

// Errorf returns an *Error with code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error renders "executor NAME: CODE: MESSAGE".
func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Message
	if e.Executor != "" {
		s = "executor " + quote(e.Executor) + ": " + s
	}
	return s
}

// Is matches a Code target against e.Code.
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && c == e.Code
}

// CodeOf returns the Code of the first *Error, *ExitError or Code in err's
// chain, CodeInternal for any other non-nil error, and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var x *ExitError
	if errors.As(err, &x) {
		return CodeTransient
	}
	var c Code
	if errors.As(err, &c) {
		return c
	}
	return CodeInternal
}

// ExitError reports that the plugin process died while an operation was in
// flight. It matches CodeTransient: the next operation starts the plugin
// again. The engine records it in its journal.
type ExitError struct {
	// Executor names the executor.
	Executor string
	// Method is the operation that was in flight.
	Method string
	// Status is the process's exit status as the OS reports it, e.g.
	// "signal: killed" or "exit status 2".
	Status string
}

// Error names the executor, the method and the exit status.
func (e *ExitError) Error() string {
	return fmt.Sprintf("executor %s: plugin process exited during %s (%s); the next operation restarts it",
		quote(e.Executor), e.Method, e.Status)
}

// Is matches CodeTransient.
func (e *ExitError) Is(target error) bool { return target == CodeTransient }

// ChecksumError reports that the plugin binary does not match its sha256
// pin; the plugin is not started.
type ChecksumError struct {
	// Executor names the executor.
	Executor string
	// Path is the binary that was hashed.
	Path string
	// Expected is the pinned lowercase hex sha256.
	Expected string
	// Actual is the binary's lowercase hex sha256.
	Actual string
}

// Error names both digests.
func (e *ChecksumError) Error() string {
	return fmt.Sprintf("executor %s: refusing to start %s: sha256 is %s, pinned sha256 is %s",
		quote(e.Executor), e.Path, e.Actual, e.Expected)
}

// ProtocolError reports that the plugin speaks another protocol version.
type ProtocolError struct {
	// Executor names the executor.
	Executor string
	// PluginVersion is the version the plugin offered.
	PluginVersion int
	// HostVersions are the versions this host speaks.
	HostVersions []int
}

// Error names both versions.
func (e *ProtocolError) Error() string {
	return fmt.Sprintf("executor %s: plugin speaks protocol version %d, canic-backup speaks protocol version %s; install a plugin built for protocol %s",
		quote(e.Executor), e.PluginVersion, joinInts(e.HostVersions), joinInts(e.HostVersions))
}

// LaunchError reports that the plugin process could not be started or did
// not complete the handshake.
type LaunchError struct {
	// Executor names the executor.
	Executor string
	// Path is the command that was launched.
	Path string
	// Err is the cause.
	Err error
	// Stderr is the last line the plugin wrote on stderr before the
	// handshake failed ("" when it wrote none): a plugin that cannot start
	// (bad settings, a missing tool) says why there.
	Stderr string
}

// Error names the executor, the command and the cause: the plugin's own
// last stderr line when it wrote one, else go-plugin's handshake error.
func (e *LaunchError) Error() string {
	if e.Stderr != "" {
		return fmt.Sprintf("executor %s: cannot start plugin %s: it exited before the handshake saying: %s", quote(e.Executor), e.Path, e.Stderr)
	}
	return fmt.Sprintf("executor %s: cannot start plugin %s: %v", quote(e.Executor), e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *LaunchError) Unwrap() error { return e.Err }

func quote(s string) string { return fmt.Sprintf("%q", s) }

func joinInts(vs []int) string {
	s := ""
	for i, v := range vs {
		if i > 0 {
			s += " or "
		}
		s += fmt.Sprint(v)
	}
	return s
}
