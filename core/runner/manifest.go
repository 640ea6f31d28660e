package runner

import (
	"fmt"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/plan"
)

// buildManifest builds the manifest of a finished run (0.35.1 runner
// variant, reference §4.5) from the plan and the Durable artifacts; it is
// validated by manifest.Build, whose backup units also cover selections
// that are not one subtree.
func buildManifest(cfg Config, p *plan.BackupPlan, dj *journal.DownloadJournal) (*manifest.FleetBackupManifest, error) {
	name, version := cfg.tool()
	members := make([]manifest.MemberInput, 0, len(p.Targets))
	for _, t := range p.Targets {
		var art *manifest.ArtifactRecord
		for _, e := range dj.Artifacts {
			if e.CanisterID == t.CanisterID && e.State == journal.ArtifactDurable {
				art = &manifest.ArtifactRecord{
					SnapshotID:        e.SnapshotID,
					ArtifactPath:      e.ArtifactPath,
					ChecksumAlgorithm: e.ChecksumAlgorithm,
					Checksum:          e.Checksum,
				}
				break
			}
		}
		var hint *string
		if t.ControlAuthority.Source.Kind == plan.ControlRootController {
			hint = plan.Str(p.RootCanisterID)
		}
		members = append(members, manifest.MemberInput{
			Role:             t.Role,
			CanisterID:       t.CanisterID,
			ParentCanisterID: t.ParentCanisterID,
			ControllerHint:   hint,
			IdentityMode:     manifest.IdentityMode(t.IdentityMode),
			ModuleHash:       t.ExpectedModuleHash,
			Artifact:         art,
		})
	}
	m, err := manifest.Build(manifest.BuildInput{
		BackupID:              p.RunID,
		CreatedAt:             cfg.marker(),
		ToolName:              name,
		ToolVersion:           version,
		Environment:           p.Network,
		RootCanister:          p.RootCanisterID,
		TopologyHashInput:     manifest.PlanTopologyInput(p.PlanID),
		DiscoveryTopologyHash: p.TopologyHashBeforeQuiesce,
		Members:               members,
	})
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", ManifestFile, err)
	}
	return m, nil
}
