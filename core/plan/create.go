package plan

import (
	"strings"
	"time"

	"github.com/canic-backup/canic-backup/core/registry"
	"github.com/canic-backup/canic-backup/core/timestamp"
	"github.com/canic-backup/canic-backup/core/topology"
)

// CreateInput is what `backup create` knows when it plans a backup
// (reference §3.9): the fleet, its root, the live registry, an optional
// subtree selector, the mode and the clock reading that names the plan.
type CreateInput struct {
	Fleet          string
	Network        string
	RootCanisterID string
	Registry       []registry.Entry
	// Subtree is a role or principal; empty plans the non-root fleet.
	Subtree string
	// DryRun selects declared root-controller authorities and the
	// root-coordinated policy; otherwise operator-controller/proven and
	// crash-consistent.
	DryRun bool
	// Now names the plan (plan-<fleet>-<YYYYMMDD-HHMMSS>, UTC).
	Now time.Time
	// PlanID overrides the generated plan id when non-empty.
	PlanID string
}

// CreatePolicy returns the authorities and quiescence policy `backup create`
// declares for a dry run or an execution.
func CreatePolicy(dryRun bool) (ControlAuthority, SnapshotReadAuthority, QuiescencePolicy) {
	if dryRun {
		return ControlAuthority{Source: Source(ControlRootController), Evidence: EvidenceDeclared},
			SnapshotReadAuthority{Source: ReadSourceRootConfiguredRead, Evidence: EvidenceDeclared},
			QuiescenceRootCoordinated
	}
	return ControlAuthority{Source: Source(ControlOperatorController), Evidence: EvidenceProven},
		SnapshotReadAuthority{Source: ReadSourceOperatorController, Evidence: EvidenceProven},
		QuiescenceCrashConsistent
}

// Create builds the plan `backup create` persists: scope subtree when a
// selector is given (resolved by topology.ResolveSelector), else
// non-root-fleet; include_descendants true; identity relocatable; topology
// hash over the whole registry.
func Create(in CreateInput) (*BackupPlan, error) {
	hash, err := topology.HashRegistry(in.Registry)
	if err != nil {
		return nil, err
	}
	planID := in.PlanID
	if planID == "" {
		planID = NewPlanID(in.Fleet, in.Now)
	}
	scope := ScopeNonRootFleet
	var selected *string
	if in.Subtree != "" {
		id, err := topology.ResolveSelector(in.Registry, in.Subtree)
		if err != nil {
			return nil, err
		}
		scope, selected = ScopeSubtree, Str(id)
	}
	control, read, quiescence := CreatePolicy(in.DryRun)
	return Build(BuildInput{
		PlanID:                    planID,
		RunID:                     RunIDFor(planID),
		Fleet:                     in.Fleet,
		Network:                   in.Network,
		RootCanisterID:            in.RootCanisterID,
		SelectedCanisterID:        selected,
		SelectedScopeKind:         scope,
		IncludeDescendants:        true,
		TopologyHashBeforeQuiesce: hash.Hash,
		Registry:                  in.Registry,
		ControlAuthority:          control,
		SnapshotReadAuthority:     read,
		QuiescencePolicy:          quiescence,
		IdentityMode:              IdentityRelocatable,
	})
}

// NewPlanID is plan-<file-safe fleet>-<UTC YYYYMMDD-HHMMSS of now>
// (times before the epoch count as the epoch).
func NewPlanID(fleet string, now time.Time) string {
	return "plan-" + FileSafeComponent(fleet) + "-" + timestamp.DirectoryStamp(now)
}

// RunIDFor derives the run id from a plan id by replacing its leading
// "plan-" with "run-". (0.35.1 replaced every occurrence, altering fleet
// names that contain "plan-".)
func RunIDFor(planID string) string {
	if rest, ok := strings.CutPrefix(planID, "plan-"); ok {
		return "run-" + rest
	}
	return planID
}

// FileSafeComponent keeps ASCII letters, digits, '-', '_' and '.', maps
// every other character to '-', trims '-' at both ends and returns
// "unknown" when nothing is left.
func FileSafeComponent(value string) string {
	var b strings.Builder
	for _, r := range value {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		return "unknown"
	}
	return out
}
