package registry

import "fmt"

// SnapshotTarget is one canister selected from the registry, with the
// registry's role, parent and module hash copied.
type SnapshotTarget struct {
	CanisterID       string
	Role             *string
	ParentCanisterID *string
	ModuleHash       *string
}

// CanisterNotInRegistryError reports a selected canister the registry does
// not list (0.35.1 DiscoveryError::CanisterNotInRegistry).
type CanisterNotInRegistryError struct {
	// CanisterID is the requested id.
	CanisterID string
}

// Error returns 0.35.1's text.
func (e *CanisterNotInRegistryError) Error() string {
	return fmt.Sprintf("registry JSON did not contain the requested canister %s", e.CanisterID)
}

func targetOf(e Entry) SnapshotTarget {
	return SnapshotTarget{CanisterID: e.Pid, Role: e.Role, ParentCanisterID: e.ParentPid, ModuleHash: e.ModuleHash}
}

// TargetsFromRegistry returns the selected canister followed by its children
// breadth-first, siblings in registry order. Without recursive only the
// direct children are included (0.35.1 semantics: even a non-recursive
// selection takes the direct children). Duplicate pids: the last entry wins
// for the selected node; each pid is output once.
func TargetsFromRegistry(entries []Entry, canisterID string, recursive bool) ([]SnapshotTarget, error) {
	byPid := make(map[string]Entry, len(entries))
	for _, e := range entries {
		byPid[e.Pid] = e
	}
	selected, ok := byPid[canisterID]
	if !ok {
		return nil, &CanisterNotInRegistryError{CanisterID: canisterID}
	}
	targets := []SnapshotTarget{targetOf(selected)}
	seen := map[string]bool{selected.Pid: true}
	queue := []string{selected.Pid}
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		for _, child := range entries {
			if child.ParentPid == nil || *child.ParentPid != parent || seen[child.Pid] {
				continue
			}
			seen[child.Pid] = true
			targets = append(targets, targetOf(child))
			if recursive {
				queue = append(queue, child.Pid)
			}
		}
	}
	return targets, nil
}
