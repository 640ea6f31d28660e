package restore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/golden"
)

// goldenSeeds adds every golden restore file matching prefix (and the
// invalid inputs' files named like it) to f's corpus.
func goldenSeeds(f *testing.F, prefix string) {
	f.Helper()
	dir := filepath.Dir(golden.Path(f, "restore/plan.json"))
	paths, _ := filepath.Glob(filepath.Join(dir, prefix+"*.json"))
	more, _ := filepath.Glob(filepath.Join(dir, "invalid", "*", prefix+"*.json"))
	for _, p := range append(paths, more...) {
		b, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(b)
	}
}

// FuzzDecodeJournal: decoding an apply journal never panics, and a journal
// DecodeJournal accepts validates, re-encodes and decodes again to the
// same document.
func FuzzDecodeJournal(f *testing.F) {
	goldenSeeds(f, "apply-journal")
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := DecodeJournal(data)
		if err != nil {
			return
		}
		require.NoError(t, j.Validate())
		out, err := wire.MarshalPretty(j)
		require.NoError(t, err)
		back, err := DecodeJournal(out)
		require.NoError(t, err, "re-encoded journal:\n%s", out)
		again, err := wire.MarshalPretty(back)
		require.NoError(t, err)
		require.Equal(t, string(out), string(again))
	})
}

// FuzzMapping: decoding a mapping never panics, and BuildPlan never
// accepts a mapping its validation rejects.
func FuzzMapping(f *testing.F) {
	goldenSeeds(f, "mapping")
	var m manifest.FleetBackupManifest
	require.NoError(f, wire.Unmarshal(golden.Read(f, "restore/manifest.json"), &m))
	f.Fuzz(func(t *testing.T, data []byte) {
		var mp Mapping
		if wire.Unmarshal(data, &mp) != nil {
			return
		}
		verr := mp.validate()
		p, err := BuildPlan(&m, &mp)
		if verr != nil {
			require.Error(t, err, "BuildPlan accepted a mapping validation rejects (%v)", verr)
			return
		}
		if err == nil {
			require.Len(t, p.Members, len(m.Fleet.Members))
		}
	})
}

// FuzzPlanDryRun: decoding a restore plan never panics, rendering its dry
// run never panics, and with a backup root every artifact the dry run
// accepts resolves inside that root.
func FuzzPlanDryRun(f *testing.F) {
	goldenSeeds(f, "plan")
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Plan
		if wire.Unmarshal(data, &p) != nil {
			return
		}
		_, _ = BuildDryRun(context.Background(), &p, "")
		d, err := BuildDryRun(context.Background(), &p, root)
		if err != nil {
			return
		}
		for _, c := range d.ArtifactValidation.Checks {
			rel, err := filepath.Rel(root, c.ResolvedPath)
			require.NoError(t, err)
			require.False(t, rel == ".." || strings.HasPrefix(rel, "../"), "%s resolved outside %s", c.ArtifactPath, root)
		}
	})
}

// FuzzResolveArtifact: an artifact path either resolves inside the backup
// root (symlinks included: root/out links outside) or is refused.
func FuzzResolveArtifact(f *testing.F) {
	for _, s := range []string{"artifacts/aaaaa-aa", "../x", "artifacts/../../x", "/etc/passwd", "out/x", "./a/./b", "a//b", "", ".", "a/..", "out"} {
		f.Add(s)
	}
	root := f.TempDir()
	require.NoError(f, os.Symlink(f.TempDir(), filepath.Join(root, "out")))
	f.Fuzz(func(t *testing.T, rel string) {
		got, err := ResolveArtifact(root, "aaaaa-aa", rel)
		if err != nil {
			return
		}
		r, err := filepath.Rel(root, got)
		require.NoError(t, err)
		require.False(t, r == ".." || strings.HasPrefix(r, "../"), "%q resolved to %s, outside %s", rel, got, root)
		require.False(t, r == "out" || strings.HasPrefix(r, "out/"), "%q resolved through a symlink leaving the root: %s", rel, got)
	})
}
