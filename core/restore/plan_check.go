package restore

import (
	"os"
	"strings"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/principal"
	"github.com/canic-backup/canic-backup/core/wire"
)

// checkPlanPrincipals refuses a plan member whose source or target canister
// is not a principal: apply would otherwise write a ready journal whose run
// fails with a bare invalid-argument.
func checkPlanPrincipals(p *Plan) error {
	for i, m := range p.Members {
		for _, f := range []struct{ field, v string }{
			{"source_canister", m.SourceCanister}, {"target_canister", m.TargetCanister},
		} {
			if _, err := principal.Parse(f.v); err != nil {
				return newError(CodeInvalidPrincipal, "restore plan members[%d].%s is not a principal: %q (%v)", i, f.field, f.v, err).
					withField("members[]."+f.field, f.v).wrapping(err)
			}
		}
	}
	return nil
}

// readManifestAt reads the manifest of the backup directory root.
func readManifestAt(root string) (*manifest.FleetBackupManifest, string, error) {
	path := layout.New(root).ManifestPath()
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, path, newError(CodePlanManifestMismatch, "cannot check the restore plan against the backup's manifest: %v", err).
			withField("manifest", path).wrapping(err)
	}
	var m manifest.FleetBackupManifest
	if err := wire.Unmarshal(data, &m); err != nil {
		return nil, path, newError(CodePlanManifestMismatch, "cannot check the restore plan against the backup's manifest %s: %v", path, err).
			withField("manifest", path).wrapping(err)
	}
	return &m, path, nil
}

func manifestMember(m *manifest.FleetBackupManifest, id string) *manifest.FleetMember {
	for i := range m.Fleet.Members {
		if m.Fleet.Members[i].CanisterID == id {
			return &m.Fleet.Members[i]
		}
	}
	return nil
}

// checkPlanIdentity refuses a plan of another backup or with a source that
// is not a member of the manifest at path.
func checkPlanIdentity(p *Plan, m *manifest.FleetBackupManifest, path string) error {
	if p.BackupID != m.BackupID {
		return newError(CodePlanManifestMismatch, "the restore plan is for backup_id %q but the backup's manifest %s has backup_id %q", p.BackupID, path, m.BackupID).
			withField("backup_id", p.BackupID)
	}
	for i, mem := range p.Members {
		if manifestMember(m, mem.SourceCanister) == nil {
			return newError(CodePlanManifestMismatch, "restore plan members[%d].source_canister %s is not a member of the backup's manifest %s", i, mem.SourceCanister, path).
				withField("members[].source_canister", mem.SourceCanister)
		}
	}
	return nil
}

// checkPlanSnapshots refuses a plan member whose source snapshot (snapshot
// id, artifact path, checksum) is not the manifest's for its source.
func checkPlanSnapshots(p *Plan, m *manifest.FleetBackupManifest, path string) error {
	for i, mem := range p.Members {
		mm := manifestMember(m, mem.SourceCanister)
		if mm == nil {
			return checkPlanIdentity(p, m, path)
		}
		ps, ms := mem.SourceSnapshot, mm.SourceSnapshot
		field, got, want := "", "", ""
		switch {
		case ps.SnapshotID != ms.SnapshotID:
			field, got, want = "snapshot_id", ps.SnapshotID, ms.SnapshotID
		case ps.ArtifactPath != ms.ArtifactPath:
			field, got, want = "artifact_path", ps.ArtifactPath, ms.ArtifactPath
		case (ps.Checksum == nil) != (ms.Checksum == nil) || (ps.Checksum != nil && !strings.EqualFold(*ps.Checksum, *ms.Checksum)):
			field, got, want = "checksum", valOr(ps.Checksum), valOr(ms.Checksum)
		default:
			continue
		}
		return newError(CodePlanManifestMismatch, "restore plan members[%d].source_snapshot.%s of %s is %q but the backup's manifest %s records %q",
			i, field, mem.SourceCanister, got, path, want).withField("members[].source_snapshot."+field, got)
	}
	return nil
}

// CheckPlanManifest checks a plan against the manifest of the backup it is
// applied to (the manifest at root): the same backup id, every member's
// source a member of the manifest with the manifest's source snapshot, and
// every source and target a principal. BuildDryRun and BuildStreamedDryRun
// run these checks before `restore apply` writes a journal.
func CheckPlanManifest(p *Plan, root string) error {
	if err := checkPlanPrincipals(p); err != nil {
		return err
	}
	m, path, err := readManifestAt(root)
	if err != nil {
		return err
	}
	if err := checkPlanIdentity(p, m, path); err != nil {
		return err
	}
	return checkPlanSnapshots(p, m, path)
}
