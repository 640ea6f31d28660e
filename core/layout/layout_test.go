package layout_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/golden"
)

func TestLayoutPaths(t *testing.T) {
	l := layout.New("backups/fleet-demo-20260512-140000")
	assert.Equal(t, "backups/fleet-demo-20260512-140000/backup-plan.json", l.PlanPath())
	assert.Equal(t, "backups/fleet-demo-20260512-140000/backup-execution-journal.json", l.ExecutionJournalPath())
	assert.Equal(t, "backups/fleet-demo-20260512-140000/download-journal.json", l.DownloadJournalPath())
	assert.Equal(t, "backups/fleet-demo-20260512-140000/fleet-backup-manifest.json", l.ManifestPath())
	assert.Equal(t, "backups/fleet-demo-20260512-140000/backup-execution-journal.json.lock", l.LockPath())
	id := "r7inp-6aaaa-aaaaa-aaabq-cai"
	assert.Equal(t, id, layout.ArtifactRelPath(id))
	assert.Equal(t, id+".tmp", layout.TempRelPath(id))
	assert.Equal(t, "backups/fleet-demo-20260512-140000/"+id, l.ArtifactPath(id))
	assert.Equal(t, "backups/fleet-demo-20260512-140000/"+id+".tmp", l.TempPath(id))
	assert.Equal(t, "a_b_c__", layout.Safe("a/b.c é"))
	assert.Equal(t, "my-fleet.v2", layout.FileSafe("  my fleet.v2/"))
	assert.Equal(t, "unknown", layout.FileSafe("///"))
	assert.Equal(t, "backups/fleet-demo-20260512-140000", layout.DefaultRoot("demo", time.Unix(1778594400, 0)))
}

func TestWriteJSONAtomicAndReadJSON(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", layout.DownloadJournalFile)
	type doc struct {
		PlanID string  `json:"plan_id"`
		Note   *string `json:"note"`
	}
	require.NoError(t, layout.WriteJSONAtomic(path, doc{PlanID: "p"}))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "{\n  \"plan_id\": \"p\",\n  \"note\": null\n}", string(data))
	require.NoError(t, layout.WriteJSONAtomic(path, doc{PlanID: "q"}))
	var got doc
	require.NoError(t, layout.ReadJSON(path, &got))
	assert.Equal(t, "q", got.PlanID)
	assertOnlyFiles(t, filepath.Join(dir, "sub"), layout.DownloadJournalFile)

	require.NoError(t, os.WriteFile(path, []byte(`{"note":null}`), 0o644))
	err = layout.ReadJSON(path, &got)
	require.ErrorIs(t, err, wire.ErrMissingField)
	assert.Equal(t, path+`: missing field "plan_id" at $`, err.Error())

	err = layout.ReadJSON(filepath.Join(dir, "nope.json"), &got)
	require.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), "nope.json")
}

func TestWriteJSONAtomicFailureLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, layout.PlanFile)
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	// Unencodable value: nothing is written, old content stays.
	err := layout.WriteJSONAtomic(path, struct {
		C chan int `json:"c"`
	}{})
	require.ErrorIs(t, err, wire.ErrUnsupportedType)
	// Rename onto a directory fails after the temp file was written.
	target := filepath.Join(dir, "adir")
	require.NoError(t, os.MkdirAll(filepath.Join(target, "x"), 0o755))
	err = layout.WriteJSONAtomic(target, map[string]int{"a": 1})
	require.Error(t, err)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "old", string(data))
	assertOnlyFiles(t, dir, layout.PlanFile, "adir")
}

func TestCreateJSONAtomicRefusesExisting(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, layout.ManifestFile)
	require.NoError(t, layout.CreateJSONAtomic(path, []string{"a"}))
	err := layout.CreateJSONAtomic(path, []string{"b"})
	require.ErrorIs(t, err, layout.ErrExists)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "[\n  \"a\"\n]", string(data))
	assertOnlyFiles(t, dir, layout.ManifestFile)
}

func TestGoldenDocumentsRewriteByteExact(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{layout.PlanFile, layout.ExecutionJournalFile, layout.DownloadJournalFile, layout.ManifestFile} {
		want := golden.Read(t, "backup/"+name)
		var n wire.Node
		require.NoError(t, layout.ReadJSON(golden.Path(t, "backup/"+name), &n))
		out := filepath.Join(dir, name)
		require.NoError(t, layout.WriteJSONAtomic(out, &n))
		got, err := os.ReadFile(out)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), name)
	}
}

func assertOnlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	assert.ElementsMatch(t, names, got)
}

func TestHasDocuments(t *testing.T) {
	l := layout.New(t.TempDir())
	for _, has := range []func() (bool, error){l.HasPlan, l.HasExecutionJournal, l.HasDownloadJournal, l.HasManifest} {
		ok, err := has()
		require.NoError(t, err)
		assert.False(t, ok)
	}
	for _, p := range []string{l.PlanPath(), l.ExecutionJournalPath(), l.DownloadJournalPath(), l.ManifestPath()} {
		require.NoError(t, layout.WriteJSONAtomic(p, []int{}))
	}
	for _, has := range []func() (bool, error){l.HasPlan, l.HasExecutionJournal, l.HasDownloadJournal, l.HasManifest} {
		ok, err := has()
		require.NoError(t, err)
		assert.True(t, ok)
	}
}

func TestExists(t *testing.T) {
	dir := t.TempDir()
	ok, err := layout.Exists(filepath.Join(dir, "x"))
	require.NoError(t, err)
	assert.False(t, ok)
	ok, err = layout.Exists(dir)
	require.NoError(t, err)
	assert.True(t, ok)
	_, err = layout.Exists(string([]byte{0}))
	require.Error(t, err, "a path with NUL is not 'missing', it is an error")
}
