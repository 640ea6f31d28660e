package restore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/golden"
)

// TestGoldenRoundTrip: every restore golden document decodes strictly into
// its type and re-encodes byte for byte.
func TestGoldenRoundTrip(t *testing.T) {
	docs := map[string]func() any{
		"mapping.json":                     func() any { return &Mapping{} },
		"plan.json":                        func() any { return &Plan{} },
		"apply-dry-run.json":               func() any { return &DryRun{} },
		"apply-dry-run-no-backup-dir.json": func() any { return &DryRun{} },
	}
	entries, err := os.ReadDir(filepathGolden(t))
	require.NoError(t, err)
	for _, e := range entries {
		n := e.Name()
		switch {
		case strings.HasPrefix(n, "apply-journal-"):
			docs[n] = func() any { return &Journal{} }
		case strings.HasPrefix(n, "run-") && strings.HasSuffix(n, ".json"):
			docs[n] = func() any { return &RunResponse{} }
		}
	}
	require.Len(t, docs, 25)
	for name, mk := range docs {
		t.Run(name, func(t *testing.T) {
			data := restoreGolden(t, name)
			v := mk()
			require.NoError(t, wire.Unmarshal(data, v))
			if j, ok := v.(*Journal); ok {
				require.NoError(t, j.Validate())
			}
			out, err := wire.MarshalPretty(v)
			require.NoError(t, err)
			assert.Equal(t, string(data), string(out))
		})
	}
}

func filepathGolden(t *testing.T) string {
	return filepath.Dir(golden.Path(t, "restore/plan.json"))
}

func readGoldenManifest(t *testing.T) *manifest.FleetBackupManifest {
	t.Helper()
	m, err := manifest.Decode(restoreGolden(t, "manifest.json"))
	require.NoError(t, err)
	return m
}

func readGoldenMapping(t *testing.T, name string) *Mapping {
	t.Helper()
	var m Mapping
	require.NoError(t, wire.Unmarshal(restoreGolden(t, name), &m))
	return &m
}

// TestGoldenPlanAndDryRun: the plan, both dry-runs and both initial journals
// computed from the golden manifest and mapping equal the golden files.
func TestGoldenPlanAndDryRun(t *testing.T) {
	goldenWorkdir(t)
	p, err := BuildPlan(readGoldenManifest(t), readGoldenMapping(t, "mapping.json"))
	require.NoError(t, err)
	assertDoc(t, "plan.json", p)

	d, err := BuildDryRun(context.Background(), p, goldenBackupRoot)
	require.NoError(t, err)
	assertDoc(t, "apply-dry-run.json", d)
	// The journal is 0.35.1's plus the checksum apply verified on each
	// upload and load row (docs/compat.md).
	j := NewJournal(d)
	out, err := wire.MarshalPretty(j)
	require.NoError(t, err)
	assert.Equal(t, string(restoreGolden(t, "apply-journal-initial.json")), withoutChecksumExtension(out))
	for _, op := range j.Operations {
		if op.Operation != OpUploadSnapshot && op.Operation != OpLoadSnapshot {
			assert.Nil(t, op.Checksum, "operation %d", op.Sequence)
			continue
		}
		require.NotNil(t, op.Checksum, "operation %d", op.Sequence)
		for _, c := range d.ArtifactValidation.Checks {
			if c.SourceCanister == op.SourceCanister {
				assert.Equal(t, *c.ChecksumActual, *op.Checksum, "operation %d", op.Sequence)
			}
		}
	}

	d2, err := BuildDryRun(context.Background(), p, "")
	require.NoError(t, err)
	assertDoc(t, "apply-dry-run-no-backup-dir.json", d2)
	assertDoc(t, "apply-journal-blocked.json", NewJournal(d2))
}

// TestGoldenPythonReplayPlan: the 17-operation scenario (fleet and group
// checks, fixed root) plans and renders as 0.35.1 did.
func TestGoldenPythonReplayPlan(t *testing.T) {
	m, err := manifest.Decode(restoreGolden(t, "python-replay/manifest.json"))
	require.NoError(t, err)
	p, err := BuildPlan(m, readGoldenMapping(t, "python-replay/mapping.json"))
	require.NoError(t, err)
	assertDoc(t, "python-replay/plan.json", p)
	d, err := BuildDryRun(context.Background(), p, "")
	require.NoError(t, err)
	assertDoc(t, "python-replay/apply-dry-run-no-backup-dir.json", d)
	assert.Equal(t, 17, d.RenderedOperations)
}

func assertDoc(t *testing.T, name string, v any) {
	t.Helper()
	out, err := wire.MarshalPretty(v)
	require.NoError(t, err)
	assert.Equal(t, string(restoreGolden(t, name)), string(out), name)
}

func assertFile(t *testing.T, golden, path string) {
	t.Helper()
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(restoreGolden(t, golden)), string(got), golden)
}

var checksumExtension = regexp.MustCompile(`,\n\s*"checksum": "[0-9a-f]{64}"|,\n\s*"files": \[[^\]]*\]`)

// withoutChecksumExtension removes canic-backup's `checksum` and `files`
// fields from a journal's rows and receipts (docs/compat.md).
func withoutChecksumExtension(b []byte) string {
	return checksumExtension.ReplaceAllString(string(b), "")
}

// withoutRunningQuirk removes 0.35.1's `"uploaded_snapshot_id": "Running"`
// from verification receipts (canic-backup records uploaded ids on uploads
// only; docs/compat.md).
func withoutRunningQuirk(b []byte) string {
	return string(bytes.ReplaceAll(b, []byte(",\n      \"uploaded_snapshot_id\": \"Running\""), nil))
}

// TestDryRunOperationSummaryInline: the dry run's planned_* counts are the
// plan's OperationSummary written inline; stops and starts may be missing
// (serde default), the other counts may not.
func TestDryRunOperationSummaryInline(t *testing.T) {
	data := restoreGolden(t, "apply-dry-run.json")
	var d DryRun
	require.NoError(t, wire.Unmarshal(data, &d))
	var p Plan
	require.NoError(t, wire.Unmarshal(restoreGolden(t, "plan.json"), &p))
	assert.Equal(t, p.OperationSummary, d.OperationSummary)

	drop := func(field string) []byte {
		var out []string
		for _, line := range strings.Split(string(data), "\n") {
			if !strings.Contains(line, `"`+field+`"`) {
				out = append(out, line)
			}
		}
		return []byte(strings.Join(out, "\n"))
	}
	var noStops DryRun
	require.NoError(t, wire.Unmarshal(drop("planned_canister_stops"), &noStops))
	assert.Zero(t, noStops.PlannedCanisterStops)
	err := wire.Unmarshal(drop("planned_snapshot_uploads"), &DryRun{})
	require.ErrorIs(t, err, wire.ErrMissingField)
	assert.Contains(t, err.Error(), `"planned_snapshot_uploads"`)
}
