package flock

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/canic-backup/canic-backup/core/wire"
)

// ErrLocked matches every *LockedError.
var ErrLocked = errors.New("locked")

// Record is the JSON kept in a lock file while it is held. It only
// informs: the kernel lock (flock) is the authority.
type Record struct {
	// PID is the holder's process id.
	PID int `json:"pid"`
	// Host is the holder's host name.
	Host string `json:"host"`
	// StartedAt is a timestamp marker ("unix:<secs>") of the acquisition.
	StartedAt string `json:"started_at"`
	// Command is what the holder is doing (its purpose and command line).
	Command string `json:"command"`
}

// String describes the holder: `pid 42 on host h since unix:1 ("cmd")`.
func (r Record) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pid %d", r.PID)
	if r.Host != "" {
		fmt.Fprintf(&b, " on host %s", r.Host)
	}
	if r.StartedAt != "" {
		fmt.Fprintf(&b, " since %s", r.StartedAt)
	}
	if r.Command != "" {
		fmt.Fprintf(&b, " (%q)", r.Command)
	}
	return b.String()
}

// parseRecord reads a lock file's content: canic-backup's JSON record,
// or 0.35.1's "pid=<n>\n". ok is false for empty or unreadable content.
func parseRecord(data []byte) (Record, bool) {
	var r Record
	if len(strings.TrimSpace(string(data))) == 0 {
		return r, false
	}
	if err := wire.Unmarshal(data, &r); err == nil {
		return r, true
	}
	if rest, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "pid="); ok {
		if pid, err := strconv.Atoi(rest); err == nil {
			return Record{PID: pid}, true
		}
	}
	return Record{Command: "unreadable lock record"}, true
}

// LockedError says another live process holds the lock.
type LockedError struct {
	// Path is the lock file.
	Path string
	// Purpose names what is locked, e.g. "backup execution journal".
	Purpose string
	// Holder is the holder's record, zero when it could not be read.
	Holder Record
}

// Error renders 0.35.1's text plus the holder, e.g.
// `backup execution journal is locked: <path> (held by pid 42 on host h since unix:1 ("..."))`.
func (e *LockedError) Error() string {
	purpose := e.Purpose
	if purpose == "" {
		purpose = "file"
	}
	msg := fmt.Sprintf("%s is locked: %s", purpose, e.Path)
	if e.Holder.PID != 0 {
		msg += " (held by " + e.Holder.String() + ")"
	}
	return msg
}

// Is matches ErrLocked.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }
