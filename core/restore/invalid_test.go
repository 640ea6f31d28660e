package restore

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/wire"
)

func invalidText(t *testing.T, c, file string) string {
	t.Helper()
	return string(restoreGolden(t, "invalid/"+c+"/"+file))
}

// TestGoldenInvalidPlans: each invalid planning input gives 0.35.1's text;
// case 16 (targets differing only in case) is now rejected.
func TestGoldenInvalidPlans(t *testing.T) {
	for _, c := range []string{
		"02-mapping-unknown-source", "03-mapping-duplicate-target", "07-mapping-duplicate-source",
		"08-mapping-missing-source", "09-mapping-invalid-principal", "10-fixed-identity-remap",
	} {
		t.Run(c, func(t *testing.T) {
			m := readGoldenManifest(t)
			if _, err := os.Stat(filepath.Join(filepathGolden(t), "invalid", c, "manifest.json")); err == nil {
				var err error
				m, err = manifest.Decode(restoreGolden(t, "invalid/"+c+"/manifest.json"))
				require.NoError(t, err)
			}
			_, err := BuildPlan(m, readGoldenMapping(t, "invalid/"+c+"/mapping.json"))
			require.Error(t, err)
			assert.Equal(t, invalidText(t, c, "expected-error.txt"), err.Error())
		})
	}
	t.Run("16-case-variant-target", func(t *testing.T) {
		c := "16-mapping-case-variant-duplicate-target-ACCEPTED"
		_, err := BuildPlan(readGoldenManifest(t), readGoldenMapping(t, "invalid/"+c+"/mapping.json"))
		require.Error(t, err)
		assert.ErrorIs(t, err, CodeDuplicateMappingTarget)
		assert.Equal(t, "mapping contains duplicate target canister QOCTQ-GIAAA-AAAAA-AAAEA-CAI (the same principal as qoctq-giaaa-aaaaa-aaaea-cai)", err.Error())
	})
}

// TestGoldenInvalidApply: artifact checks at apply time.
func TestGoldenInvalidApply(t *testing.T) {
	goldenWorkdir(t)
	for _, c := range []string{"01-manifest-checksum-mismatch", "05-plan-missing-artifact", "06-plan-path-traversal"} {
		t.Run(c, func(t *testing.T) {
			var p Plan
			require.NoError(t, wire.Unmarshal(restoreGolden(t, "invalid/"+c+"/plan.json"), &p))
			_, err := BuildDryRun(context.Background(), &p, goldenBackupRoot)
			require.Error(t, err)
			assert.Equal(t, invalidText(t, c, "expected-error.txt"), err.Error())
		})
	}
	t.Run("01-planning-accepts", func(t *testing.T) {
		m, err := manifest.Decode(restoreGolden(t, "invalid/01-manifest-checksum-mismatch/fleet-backup-manifest.json"))
		require.NoError(t, err)
		p, err := BuildPlan(m, readGoldenMapping(t, "mapping.json"))
		require.NoError(t, err)
		assertDoc(t, "invalid/01-manifest-checksum-mismatch/plan.json", p)
	})
}

// TestGoldenInvalidRuns: runner refusals on bad journals.
func TestGoldenInvalidRuns(t *testing.T) {
	goldenWorkdir(t)
	for _, tc := range []struct {
		c    string
		mode Mode
		code Code
	}{
		{"04-journal-two-pending", ModeExecute, CodeApplyPending},
		{"11-journal-blocked-execute", ModeExecute, CodeApplyNotReady},
		{"12-journal-failed-execute", ModeExecute, CodeApplyFailed},
		{"13-journal-unclaim-without-pending", ModeUnclaimPending, CodeNoPendingOperation},
	} {
		t.Run(tc.c, func(t *testing.T) {
			j := copyJournal(t, "invalid/"+tc.c+"/restore-apply-journal.json")
			before, err := os.ReadFile(j)
			require.NoError(t, err)
			f := newFake()
			_, err = runAt(t, j, tc.mode, 0, f, 0)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.code)
			assert.Equal(t, invalidText(t, tc.c, "expected-error.txt"), err.Error())
			assert.Empty(t, f.calls, "no command runs")
			after, err := os.ReadFile(j)
			require.NoError(t, err)
			assert.Equal(t, before, after, "the journal is untouched")
		})
	}
	t.Run("04-unclaim-then-stuck", func(t *testing.T) {
		c := "04-journal-two-pending"
		j := copyJournal(t, "invalid/"+c+"/restore-apply-journal.json")
		resp, err := runAt(t, j, ModeDryRun, 0, nil, 0)
		require.NoError(t, err)
		assertDoc(t, "invalid/"+c+"/run-dry-run.json", resp)
		resp, err = runAt(t, j, ModeUnclaimPending, 0, nil, 300)
		require.NoError(t, err)
		assertDoc(t, "invalid/"+c+"/run-unclaim-pending-summary.json", resp)
		assertFile(t, "invalid/"+c+"/journal-after-unclaim.json", j)
		_, err = runAt(t, j, ModeUnclaimPending, 0, nil, 301)
		assert.Equal(t, invalidText(t, c, "second-unclaim.error.txt"), err.Error())
	})
	t.Run("15-upload-without-id-fails-the-upload", func(t *testing.T) {
		j := copyJournal(t, "apply-journal-initial.json")
		f := &noIDExecutor{fakeExecutor: newFake()}
		resp, err := runAt(t, j, ModeExecute, 0, f, 0)
		require.Error(t, err)
		assert.ErrorIs(t, err, CodeCommandFailed)
		assert.Equal(t, "restore run command failed for operation 0: status=verification-failed", err.Error())
		require.NotNil(t, resp)
		assert.Equal(t, StoppedCommandFailed, resp.StoppedReason)
		got, err := ReadJournal(j)
		require.NoError(t, err)
		assert.Equal(t, StateFailed, got.Operations[0].State)
		assert.Equal(t, []string{ReasonNoUploadedSnapshotID}, got.Operations[0].BlockingReasons)
	})
}

// noIDExecutor uploads but reports no snapshot id (golden invalid/15).
type noIDExecutor struct{ *fakeExecutor }

func (n *noIDExecutor) UploadSnapshot(ctx context.Context, target, dir string) (string, error) {
	RecordTranscript(ctx, Transcript{Stdout: []byte("Snapshot uploaded successfully\n")})
	return "", nil
}
