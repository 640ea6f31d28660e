// Package topology hashes a fleet's topology (who is whose parent, with
// which role and module) so a backup can detect drift between planning and
// execution, and resolves operator selectors (principal or role) against a
// registry.
package topology

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/canic-backup/canic-backup/core/registry"
)

// Algorithm is the only topology hash algorithm.
const Algorithm = "sha256"

// InputLabel describes the canonical input of Hash.
const InputLabel = "sorted(pid,parent_pid,role,module_hash)"

// Record is one topology node as hashed.
type Record struct {
	// Pid is the canister principal text (any accepted case/spelling).
	Pid string
	// ParentPid is the parent principal text, nil for a root.
	ParentPid *string
	// Role is the canister role ("" when the registry has none).
	Role string
	// ModuleHash is the module hash text, nil when unknown.
	ModuleHash *string
}

// Hash is a computed topology hash.
type Hash struct {
	Algorithm string
	Input     string
	Hash      string
}

// ErrInvalidPrincipal marks a record whose pid or parent is not a valid
// principal; it is wrapped by *InvalidPrincipalError.
var ErrInvalidPrincipal = errors.New("invalid principal in topology record")

// InvalidPrincipalError names the record field and value that failed to
// parse as a principal.
type InvalidPrincipalError struct {
	// Field is "pid" or "parent_pid".
	Field string
	// Value is the offending text.
	Value string
}

// Error names the field and value.
func (e *InvalidPrincipalError) Error() string {
	return fmt.Sprintf("topology record field %s must be a valid principal: %s", e.Field, e.Value)
}

// Unwrap returns ErrInvalidPrincipal.
func (e *InvalidPrincipalError) Unwrap() error { return ErrInvalidPrincipal }

// CanonicalInput renders each record as
// pid=<pid>|parent_pid=<parent or null>|role=<role>|module_hash=<hash or null>
// with principals in canonical form, sorts the rows byte-wise and joins them
// with "\n" (no trailing newline).
func CanonicalInput(records []Record) (string, error) {
	rows := make([]string, 0, len(records))
	for _, r := range records {
		pid, err := canonicalPrincipal(r.Pid)
		if err != nil {
			return "", &InvalidPrincipalError{Field: "pid", Value: r.Pid}
		}
		parent := "null"
		if r.ParentPid != nil {
			if parent, err = canonicalPrincipal(*r.ParentPid); err != nil {
				return "", &InvalidPrincipalError{Field: "parent_pid", Value: *r.ParentPid}
			}
		}
		hash := "null"
		if r.ModuleHash != nil {
			hash = *r.ModuleHash
		}
		rows = append(rows, "pid="+pid+"|parent_pid="+parent+"|role="+r.Role+"|module_hash="+hash)
	}
	sort.Strings(rows)
	return strings.Join(rows, "\n"), nil
}

// HashRecords computes the SHA-256 topology hash (lower-case hex) of records;
// record order does not matter.
func HashRecords(records []Record) (Hash, error) {
	input, err := CanonicalInput(records)
	if err != nil {
		return Hash{}, err
	}
	sum := sha256.Sum256([]byte(input))
	return Hash{Algorithm: Algorithm, Input: InputLabel, Hash: hex.EncodeToString(sum[:])}, nil
}

// InvalidRegistryPrincipalError is 0.35.1's CLI error for a registry pid (or
// parent, whose text is then printed) that is not a valid principal.
type InvalidRegistryPrincipalError struct {
	// CanisterID is the offending text.
	CanisterID string
}

// Error returns 0.35.1's text.
func (e *InvalidRegistryPrincipalError) Error() string {
	return fmt.Sprintf("registry entry %s is not a valid principal", e.CanisterID)
}

// Unwrap returns ErrInvalidPrincipal.
func (e *InvalidRegistryPrincipalError) Unwrap() error { return ErrInvalidPrincipal }

// RegistryRecords projects every registry entry (root and non-selected
// nodes included) to a topology record, as `backup create` and its
// execution preflight hash them: role "" when absent.
func RegistryRecords(entries []registry.Entry) ([]Record, error) {
	out := make([]Record, 0, len(entries))
	for _, e := range entries {
		if _, err := canonicalPrincipal(e.Pid); err != nil {
			return nil, &InvalidRegistryPrincipalError{CanisterID: e.Pid}
		}
		if e.ParentPid != nil {
			if _, err := canonicalPrincipal(*e.ParentPid); err != nil {
				return nil, &InvalidRegistryPrincipalError{CanisterID: *e.ParentPid}
			}
		}
		out = append(out, Record{Pid: e.Pid, ParentPid: e.ParentPid, Role: e.RoleOr(""), ModuleHash: e.ModuleHash})
	}
	return out, nil
}

// HashRegistry is the full-registry topology hash a backup plan records in
// topology_hash_before_quiesce.
func HashRegistry(entries []registry.Entry) (Hash, error) {
	records, err := RegistryRecords(entries)
	if err != nil {
		return Hash{}, err
	}
	return HashRecords(records)
}
