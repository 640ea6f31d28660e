package config

import (
	"errors"
	"fmt"
)

// Sentinel errors; errors returned by this package match one of them with
// errors.Is.
var (
	// ErrInvalid is matched by every error about the content of a config
	// file (syntax, unknown keys, wrong types, bad values).
	ErrInvalid = errors.New("invalid config")
	// ErrNotFound is matched when no config file could be found.
	ErrNotFound = errors.New("config file not found")
	// ErrNoEnvironment is matched when no environment is selected or the
	// selected one is not defined.
	ErrNoEnvironment = errors.New("no such environment")
)

// Error is a problem in a config file at a key. Line is 0 when unknown.
type Error struct {
	// File is the config file's path.
	File string
	// Line is the 1-based line of the key, 0 when unknown.
	Line int
	// Key is the dotted key, e.g. "executors.sim.url"; empty for the file.
	Key string
	// Msg says what is wrong.
	Msg string
	// Err is the underlying error, if any (e.g. a *store.SettingsError);
	// errors.Is/As see it through Unwrap.
	Err error
}

// Error renders "FILE:LINE: KEY: MSG".
func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
	}
	if e.Key != "" {
		s += ": " + e.Key
	}
	return s + ": " + e.Msg
}

// Is matches ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns the underlying error (nil for most).
func (e *Error) Unwrap() error { return e.Err }
