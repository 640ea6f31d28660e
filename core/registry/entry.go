// Package registry reads the fleet registry a canic root canister reports
// (canic_subnet_registry) and answers questions about it: which canisters
// sit under a selected one, and what roles and parents they have.
package registry

// Entry is one registry row: a canister, its role and kind, its parent and
// its installed module hash. Optional values are nil when absent.
type Entry struct {
	// Pid is the canister's principal text as the registry reported it.
	Pid string
	// Role is the canic role (e.g. "app"), nil when absent.
	Role *string
	// Kind is the canic kind (e.g. "root", "singleton"), nil when absent.
	Kind *string
	// ParentPid is the parent canister's principal text, nil for the root.
	ParentPid *string
	// ModuleHash is the lower-case hex of the installed module hash (or the
	// text the registry gave), nil when absent.
	ModuleHash *string
}

// RoleOr returns the entry's role, or fallback when it has none.
func (e Entry) RoleOr(fallback string) string {
	if e.Role == nil {
		return fallback
	}
	return *e.Role
}

func strPtr(s string) *string { return &s }
