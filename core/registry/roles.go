package registry

import "strconv"

// MemberRole is the role the backup runner records for the target at index
// (0-based, plan target order): the registry role, else "member-<index>".
func MemberRole(index int, role *string) string {
	if role != nil {
		return *role
	}
	return "member-" + strconv.Itoa(index)
}

// SnapshotRole is the role the snapshot-download path records: the registry
// role, else "root" for the selected canister (even when it is not the fleet
// root), else "member-<index>".
func SnapshotRole(selectedCanister string, index int, target SnapshotTarget) string {
	if target.Role != nil {
		return *target.Role
	}
	if target.CanisterID == selectedCanister {
		return "root"
	}
	return "member-" + strconv.Itoa(index)
}

// Parents maps each pid to its parent pid (nil for a root). Duplicate pids:
// the last entry wins, as in 0.35.1.
func Parents(entries []Entry) map[string]*string {
	out := make(map[string]*string, len(entries))
	for _, e := range entries {
		out[e.Pid] = e.ParentPid
	}
	return out
}

// Depths returns the depth of every registry pid computed over the whole
// registry: follow parent links counting steps while the current node is
// listed and has a parent, stopping at a node already visited (cycle guard).
// A parent outside the registry still counts one step.
func Depths(entries []Entry) map[string]uint32 {
	parents := Parents(entries)
	out := make(map[string]uint32, len(entries))
	for _, e := range entries {
		out[e.Pid] = depthOf(e.Pid, parents)
	}
	return out
}

func depthOf(pid string, parents map[string]*string) uint32 {
	var depth uint32
	current := pid
	seen := map[string]bool{}
	for {
		parent, listed := parents[current]
		if !listed || parent == nil || seen[current] {
			return depth
		}
		seen[current] = true
		depth++
		current = *parent
	}
}
