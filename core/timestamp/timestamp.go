// Package timestamp renders and parses the time formats canic-backup 0.35.1
// writes (§0.3): machine markers "unix:<seconds>", directory stamps
// YYYYMMDD-HHMMSS and list times DD/MM/YYYY HH:MM, all in UTC.
package timestamp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Prefix starts every timestamp marker.
const Prefix = "unix:"

// ErrInvalidMarker: the text is not "unix:" followed by an unsigned 64-bit
// decimal number.
var ErrInvalidMarker = errors.New("invalid timestamp marker")

// Clock supplies the current time; pass one in instead of calling time.Now
// so tests can pin it.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
}

// System is the real clock.
type System struct{}

// Now returns time.Now().
func (System) Now() time.Time { return time.Now() }

// Fixed is a clock pinned to one instant.
type Fixed time.Time

// Now returns the pinned instant.
func (f Fixed) Now() time.Time { return time.Time(f) }

// FixedUnix is a clock pinned to a number of seconds since the epoch.
func FixedUnix(secs int64) Fixed { return Fixed(time.Unix(secs, 0).UTC()) }

// unixSeconds is t's whole seconds since the epoch, 0 before the epoch.
func unixSeconds(t time.Time) uint64 {
	s := t.Unix()
	if s < 0 {
		return 0
	}
	return uint64(s)
}

// Marker renders t as "unix:<seconds>" (0 for times before the epoch).
func Marker(t time.Time) string {
	return Prefix + strconv.FormatUint(unixSeconds(t), 10)
}

// Now is Marker(c.Now()).
func Now(c Clock) string { return Marker(c.Now()) }

// ParseMarker parses "unix:<seconds>" as 0.35.1 does: the literal prefix,
// then Rust u64::from_str (ASCII digits with an optional leading '+', no
// whitespace, no '-', at most 2^64-1).
func ParseMarker(s string) (uint64, error) {
	rest, ok := strings.CutPrefix(s, Prefix)
	if !ok {
		return 0, fmt.Errorf("%w %q: missing %q prefix", ErrInvalidMarker, s, Prefix)
	}
	digits := strings.TrimPrefix(rest, "+")
	if digits == "" {
		return 0, fmt.Errorf("%w %q: no digits", ErrInvalidMarker, s)
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, fmt.Errorf("%w %q: not a decimal number", ErrInvalidMarker, s)
		}
	}
	v, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w %q: out of range", ErrInvalidMarker, s)
	}
	return v, nil
}

// ParseMarkerTime is ParseMarker returning a UTC time. Seconds beyond
// time.Time's range are rejected.
func ParseMarkerTime(s string) (time.Time, error) {
	v, err := ParseMarker(s)
	if err != nil {
		return time.Time{}, err
	}
	if v > 1<<62 {
		return time.Time{}, fmt.Errorf("%w %q: out of range", ErrInvalidMarker, s)
	}
	return time.Unix(int64(v), 0).UTC(), nil
}

// DirectoryStamp renders t in UTC as YYYYMMDD-HHMMSS (0 before the epoch):
// 0 → 19700101-000000, 1715090400 → 20240507-140000.
func DirectoryStamp(t time.Time) string {
	return time.Unix(int64(unixSeconds(t)), 0).UTC().Format("20060102-150405")
}

// ListFormat renders t in UTC as DD/MM/YYYY HH:MM (0 before the epoch):
// 1715090400 → 07/05/2024 14:00.
func ListFormat(t time.Time) string {
	return time.Unix(int64(unixSeconds(t)), 0).UTC().Format("02/01/2006 15:04")
}
