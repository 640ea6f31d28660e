package store

import (
	"fmt"
	"strings"
)

// ReservedPrefix starts the first segment of keys reserved for backends'
// own bookkeeping.
const ReservedPrefix = ".canic-"

// KeyError says why a key is invalid; it matches ErrInvalidKey.
type KeyError struct {
	// Key is the offending key.
	Key string
	// Reason says what is wrong with it.
	Reason string
}

// Error renders `invalid object key "k": reason`.
func (e *KeyError) Error() string {
	return fmt.Sprintf("invalid object key %q: %s", e.Key, e.Reason)
}

// Is matches ErrInvalidKey.
func (e *KeyError) Is(target error) bool { return target == ErrInvalidKey }

// ValidateKey checks that key is a non-empty relative slash-separated name
// with no empty, "." or ".." segment, no control character or backslash,
// and no reserved first segment.
func ValidateKey(key string) error {
	if key == "" {
		return &KeyError{Key: key, Reason: "empty"}
	}
	if len(key) > 1024 {
		return &KeyError{Key: key, Reason: "longer than 1024 bytes"}
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return &KeyError{Key: key, Reason: fmt.Sprintf("contains %q", r)}
		}
	}
	for i, seg := range strings.Split(key, "/") {
		switch {
		case seg == "":
			return &KeyError{Key: key, Reason: "empty path segment"}
		case seg == "." || seg == "..":
			return &KeyError{Key: key, Reason: fmt.Sprintf("path segment %q", seg)}
		case i == 0 && strings.HasPrefix(seg, ReservedPrefix):
			return &KeyError{Key: key, Reason: fmt.Sprintf("names starting with %q are reserved", ReservedPrefix)}
		}
	}
	return nil
}
