package usecase

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/store/dirstore"
	"github.com/canic-backup/canic-backup/internal/golden"
)

const backupName = "fleet-demo-20260512-140000"

// storeWorkdir lays out the golden backup (documents and artifacts) in the
// directory store/ and the golden plan as plan.json, changes into the
// working directory, and returns the golden backup as a Source read as a
// remote store (StoreDir empty: fetched and streamed into fetch/NAME).
func storeWorkdir(t *testing.T) *Source {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "store", backupName)
	require.NoError(t, os.MkdirAll(root, 0o755))
	for _, f := range []string{"fleet-backup-manifest.json", "download-journal.json", "backup-plan.json", "backup-execution-journal.json"} {
		require.NoError(t, os.WriteFile(filepath.Join(root, f), golden.Read(t, "backup/"+f), 0o644))
	}
	require.NoError(t, os.CopyFS(root, os.DirFS(golden.Path(t, "backup/extra/artifacts"))))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plan.json"), golden.Read(t, "restore/plan.json"), 0o644))
	t.Chdir(dir)
	s, err := dirstore.Open("store")
	require.NoError(t, err)
	return &Source{Store: s, StoreName: "offsite", Backup: backupName, Dir: filepath.Join("fetch", backupName)}
}

// artifactDirs lists the artifact directories under dir.
func artifactDirs(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestApplyStreamsArtifactsFromStore: Apply against a remote store fetches
// the documents only, checks the artifacts by streaming them (one Fetched
// and one Checked event), hands the dry run to Render before it creates the
// journal, and the journal is the one a full local copy gives.
func TestApplyStreamsArtifactsFromStore(t *testing.T) {
	src := storeWorkdir(t)
	ctx := context.Background()
	var events []Event
	rendered := false
	d, err := Apply(ctx, ApplyOptions{
		Plan: "plan.json", JournalOut: "journal.json",
		OpenSource: func(context.Context) (*Source, error) { return src, nil },
		Render: func(*restore.DryRun) error {
			assert.NoFileExists(t, "journal.json", "the journal is created after the dry run is rendered")
			rendered = true
			return nil
		},
		Progress: func(ev Event) { events = append(events, ev) },
	})
	require.NoError(t, err)
	assert.True(t, rendered)
	require.Len(t, events, 2)
	assert.IsType(t, Fetched{}, events[0])
	require.IsType(t, Checked{}, events[1])
	assert.Equal(t, 3, events[1].(Checked).Artifacts)
	assert.Empty(t, artifactDirs(t, src.Dir), "no artifact was downloaded")
	require.NotNil(t, d.ArtifactValidation)
	assert.True(t, d.ArtifactValidation.ChecksumsVerified)

	// A full local copy at the same directory gives the same journal.
	for _, a := range artifactDirs(t, filepath.Join("store", backupName)) {
		require.NoError(t, os.CopyFS(filepath.Join(src.Dir, a), os.DirFS(filepath.Join("store", backupName, a))))
	}
	local, err := Apply(ctx, ApplyOptions{Plan: "plan.json", BackupDir: src.Dir, JournalOut: "local.json"})
	require.NoError(t, err)
	assert.Equal(t, local, d)
	streamed, err := os.ReadFile("journal.json")
	require.NoError(t, err)
	full, err := os.ReadFile("local.json")
	require.NoError(t, err)
	assert.Equal(t, string(full), string(streamed))

	// The journal is never replaced.
	_, err = Apply(ctx, ApplyOptions{Plan: "plan.json", BackupDir: src.Dir, JournalOut: "local.json"})
	assert.ErrorIs(t, err, layout.ErrExists)
}

// TestApplyStoreTamperedIsVerificationFailed: an artifact whose stored
// bytes no longer match is a failed verification (the CLI's exit 3), and
// no journal is written.
func TestApplyStoreTamperedIsVerificationFailed(t *testing.T) {
	src := storeWorkdir(t)
	var bad string
	require.NoError(t, filepath.WalkDir(filepath.Join("store", backupName), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && bad == "" && filepath.Dir(p) != filepath.Join("store", backupName) {
			bad = p
		}
		return err
	}))
	require.NotEmpty(t, bad)
	require.NoError(t, os.WriteFile(bad, []byte("tampered"), 0o644))
	_, err := Apply(context.Background(), ApplyOptions{
		Plan: "plan.json", JournalOut: "journal.json",
		OpenSource: func(context.Context) (*Source, error) { return src, nil },
	})
	var vf *VerificationFailed
	require.True(t, errors.As(err, &vf), "%v", err)
	assert.NoFileExists(t, "journal.json")
}

// TestPlanFromStore: Plan of a remote store's backup verifies it by
// streaming (RequireVerified), fetches its documents and plans them.
func TestPlanFromStore(t *testing.T) {
	src := storeWorkdir(t)
	var fetched int
	p, err := Plan(context.Background(), PlanOptions{Source: src, RequireVerified: true,
		Progress: func(ev Event) {
			if _, ok := ev.(Fetched); ok {
				fetched++
			}
		}})
	require.NoError(t, err)
	assert.Equal(t, 1, fetched)
	assert.Equal(t, 3, p.MemberCount)
	assert.NoError(t, RequireReady(p))
	assert.FileExists(t, filepath.Join(src.Dir, layout.ManifestFile))
	assert.Empty(t, artifactDirs(t, src.Dir), "planning fetches the documents only")

	// A backup directory whose layout is bad fails its verification.
	require.NoError(t, os.Remove(filepath.Join("store", backupName, "download-journal.json")))
	_, err = Plan(context.Background(), PlanOptions{BackupDir: filepath.Join("store", backupName), RequireVerified: true})
	var vf *VerificationFailed
	assert.True(t, errors.As(err, &vf), "%v", err)
}

// TestRunExecuteNeedsAnExecutor: --execute without an executor opener is
// refused (NoExecutor) before the store or the journal is touched.
func TestRunExecuteNeedsAnExecutor(t *testing.T) {
	opened := false
	resp, err := Run(context.Background(), RunOptions{
		Runner: restore.RunOptions{Journal: "missing.json", Mode: restore.ModeExecute},
		Env:    "local",
		OpenSource: func(context.Context, *restore.Journal) (*Source, error) {
			opened = true
			return nil, nil
		},
	})
	assert.Nil(t, resp)
	assert.ErrorIs(t, err, restore.CodeNoExecutor)
	assert.Contains(t, err.Error(), `environment "local"`)
	assert.False(t, opened)
}

// TestValidBackupName: only one backup name (a single key segment, not a
// control or lock key) is accepted.
func TestValidBackupName(t *testing.T) {
	for name, want := range map[string]bool{
		backupName: true, "a": true, "": false, ".": false, "..": false, "a/b": false, `a\b`: false,
		".canic-lease": false, "locks": false,
	} {
		assert.Equal(t, want, ValidBackupName(name), name)
	}
	assert.Equal(t, filepath.Join("cache", "canic-backup", "fetch", "offsite", backupName), FetchDir("cache", "offsite", backupName))
}
