package plan

import (
	"fmt"
	"sort"

	"github.com/canic-backup/canic-backup/core/registry"
)

// BuildInput is everything Build needs (0.35.1 BackupPlanBuildInput). The
// same authorities and identity mode are copied into every target.
type BuildInput struct {
	PlanID                    string
	RunID                     string
	Fleet                     string
	Network                   string
	RootCanisterID            string
	SelectedCanisterID        *string
	SelectedScopeKind         BackupScopeKind
	IncludeDescendants        bool
	TopologyHashBeforeQuiesce string
	Registry                  []registry.Entry
	ControlAuthority          ControlAuthority
	SnapshotReadAuthority     SnapshotReadAuthority
	QuiescencePolicy          QuiescencePolicy
	IdentityMode              IdentityMode
}

// Build selects targets from the registry for the scope, computes depths
// and phases, and returns the plan after Validate (reference §3.3–§3.5).
//
// Differences from 0.35.1 (docs/compat.md "Backup plan building"): a
// registry listing the same pid twice is refused, and a maintenance-root
// selection must be the fleet root.
func Build(in BuildInput) (*BackupPlan, error) {
	if err := checkRegistryUnique(in.Registry); err != nil {
		return nil, err
	}
	var selectedRoot *string
	if in.SelectedScopeKind != ScopeNonRootFleet {
		if in.SelectedCanisterID == nil {
			return nil, errEmptyField("selected_canister_id")
		}
		selectedRoot = Str(*in.SelectedCanisterID)
	}
	if in.SelectedScopeKind == ScopeMaintenanceRoot && *selectedRoot != in.RootCanisterID {
		return nil, fmt.Errorf("%w: maintenance-root scope selects %s, but the fleet root is %s",
			ErrMaintenanceRootNotRoot, *selectedRoot, in.RootCanisterID)
	}
	selected, err := selectTargets(in)
	if err != nil {
		return nil, err
	}
	depths := registry.Depths(in.Registry)
	targets := make([]BackupTarget, 0, len(selected))
	for _, s := range selected {
		targets = append(targets, BackupTarget{
			CanisterID:            s.CanisterID,
			Role:                  s.Role,
			ParentCanisterID:      s.ParentCanisterID,
			Depth:                 depths[s.CanisterID],
			ControlAuthority:      in.ControlAuthority,
			SnapshotReadAuthority: in.SnapshotReadAuthority,
			IdentityMode:          in.IdentityMode,
			ExpectedModuleHash:    s.ModuleHash,
		})
	}
	p := &BackupPlan{
		PlanID:                    in.PlanID,
		RunID:                     in.RunID,
		Fleet:                     in.Fleet,
		Network:                   in.Network,
		RootCanisterID:            in.RootCanisterID,
		SelectedSubtreeRoot:       selectedRoot,
		SelectedScopeKind:         in.SelectedScopeKind,
		IncludeDescendants:        in.IncludeDescendants,
		RootIncluded:              in.SelectedScopeKind == ScopeMaintenanceRoot,
		RequiresRootController:    in.ControlAuthority.Source.Kind == ControlRootController,
		SnapshotReadAuthority:     in.SnapshotReadAuthority,
		QuiescencePolicy:          in.QuiescencePolicy,
		TopologyHashBeforeQuiesce: in.TopologyHashBeforeQuiesce,
		Targets:                   targets,
		Phases:                    BuildPhases(targets),
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

func selectTargets(in BuildInput) ([]registry.SnapshotTarget, error) {
	if in.SelectedScopeKind == ScopeNonRootFleet {
		out := make([]registry.SnapshotTarget, 0, len(in.Registry))
		for _, e := range in.Registry {
			if e.Pid == in.RootCanisterID {
				continue
			}
			out = append(out, registry.SnapshotTarget{CanisterID: e.Pid, Role: e.Role, ParentCanisterID: e.ParentPid, ModuleHash: e.ModuleHash})
		}
		return out, nil
	}
	recursive := in.SelectedScopeKind == ScopeSubtree || in.IncludeDescendants || in.SelectedScopeKind == ScopeMaintenanceRoot
	targets, err := registry.TargetsFromRegistry(in.Registry, *in.SelectedCanisterID, recursive)
	if err != nil {
		return nil, err
	}
	return targets, nil
}

func checkRegistryUnique(entries []registry.Entry) error {
	seen := make(map[string]bool, len(entries))
	for i, e := range entries {
		if seen[e.Pid] {
			return fmt.Errorf("%w: registry entry [%d] repeats pid %s", ErrDuplicateRegistryPid, i, e.Pid)
		}
		seen[e.Pid] = true
	}
	return nil
}

// BuildPhases lays out the operations for targets in 0.35.1's exact order:
// the four preflight validations; stop-<id> and snapshot-<id> top-down
// (depth, then canister id, byte-wise); start-<id> bottom-up; then
// download-<id>, verify-<id> per target in plan order; finalize-manifest.
// order is the array index. Total = 5 + 5 x targets.
func BuildPhases(targets []BackupTarget) []BackupOperation {
	ops := make([]BackupOperation, 0, 5+5*len(targets))
	add := func(id string, kind BackupOperationKind, target *string) {
		ops = append(ops, BackupOperation{OperationID: id, Order: uint32(len(ops)), Kind: kind, TargetCanisterID: target})
	}
	add("validate-topology", OpValidateTopology, nil)
	add("validate-control-authority", OpValidateControlAuthority, nil)
	add("validate-snapshot-read-authority", OpValidateSnapshotReadAuthority, nil)
	add("validate-quiescence-policy", OpValidateQuiescencePolicy, nil)
	topDown := make([]BackupTarget, len(targets))
	copy(topDown, targets)
	sort.SliceStable(topDown, func(i, j int) bool {
		if topDown[i].Depth != topDown[j].Depth {
			return topDown[i].Depth < topDown[j].Depth
		}
		return topDown[i].CanisterID < topDown[j].CanisterID
	})
	for _, t := range topDown {
		add("stop-"+t.CanisterID, OpStop, Str(t.CanisterID))
	}
	for _, t := range topDown {
		add("snapshot-"+t.CanisterID, OpCreateSnapshot, Str(t.CanisterID))
	}
	for i := len(topDown) - 1; i >= 0; i-- {
		add("start-"+topDown[i].CanisterID, OpStart, Str(topDown[i].CanisterID))
	}
	for _, t := range targets {
		add("download-"+t.CanisterID, OpDownloadSnapshot, Str(t.CanisterID))
		add("verify-"+t.CanisterID, OpVerifyArtifact, Str(t.CanisterID))
	}
	add("finalize-manifest", OpFinalizeManifest, nil)
	return ops
}
