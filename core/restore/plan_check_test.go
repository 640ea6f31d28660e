package restore

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// restore apply checks the plan against the backup's manifest: a target
// that is not a principal, a source not in the manifest, another backup's
// id or another member's snapshot are refused, naming the field and value,
// before any journal is written.
func TestApplyChecksPlanAgainstManifest(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(p *Plan)
		code   Code
		text   string
		noRoot bool // also refused without a backup directory
	}{
		{"target not a principal", func(p *Plan) { p.Members[1].TargetCanister = "not-a-principal" }, CodeInvalidPrincipal,
			`members[1].target_canister is not a principal: "not-a-principal"`, true},
		{"source not in the manifest", func(p *Plan) { p.Members[2].SourceCanister = "aaaaa-aa" }, CodePlanManifestMismatch,
			"members[2].source_canister aaaaa-aa is not a member of the backup's manifest", false},
		{"another backup's id", func(p *Plan) { p.BackupID = "run-other" }, CodePlanManifestMismatch,
			`the restore plan is for backup_id "run-other" but the backup's manifest`, false},
		{"another member's artifact and checksum", func(p *Plan) {
			p.Members[0].SourceSnapshot.ArtifactPath = p.Members[1].SourceSnapshot.ArtifactPath
			p.Members[0].SourceSnapshot.Checksum = p.Members[1].SourceSnapshot.Checksum
		}, CodePlanManifestMismatch, "members[0].source_snapshot.artifact_path of " + rootCanister, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			goldenWorkdir(t)
			p, err := BuildPlan(readGoldenManifest(t), readGoldenMapping(t, "mapping.json"))
			require.NoError(t, err)
			tc.edit(p)
			_, err = BuildDryRun(context.Background(), p, goldenBackupRoot)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.code)
			assert.Contains(t, err.Error(), tc.text)
			assert.ErrorIs(t, CheckPlanManifest(p, goldenBackupRoot), tc.code, "the store path's check agrees")
			_, err = BuildDryRun(context.Background(), p, "")
			if tc.noRoot {
				assert.ErrorIs(t, err, tc.code)
			} else {
				assert.NoError(t, err, "without a backup there is no manifest to check against")
			}
		})
	}
	t.Run("the golden plan passes", func(t *testing.T) {
		goldenWorkdir(t)
		p, err := BuildPlan(readGoldenManifest(t), readGoldenMapping(t, "mapping.json"))
		require.NoError(t, err)
		require.NoError(t, CheckPlanManifest(p, goldenBackupRoot))
	})
}
