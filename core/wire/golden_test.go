package wire_test

import (
	"bytes"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/golden"
)

// goldenJSON lists every *.json file written by canic-backup 0.35.1.
func goldenJSON(t testing.TB) map[string][]byte {
	t.Helper()
	dir := golden.Dir(t)
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = golden.Read(t, filepath.ToSlash(rel))
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// TestGoldenRoundTripByteExact proves the printer matches serde_json's pretty
// printer byte for byte on every document the original code wrote.
func TestGoldenRoundTripByteExact(t *testing.T) {
	files := goldenJSON(t)
	require.GreaterOrEqual(t, len(files), 90)
	for rel, data := range files {
		t.Run(rel, func(t *testing.T) {
			var n wire.Node
			require.NoError(t, wire.Unmarshal(data, &n))
			var out []byte
			var err error
			switch {
			case !bytes.Contains(data, []byte("\n ")):
				out, err = wire.Marshal(&n)
				out = append(out, data[len(bytes.TrimRight(data, "\n")):]...)
			case bytes.HasSuffix(data, []byte("\n")):
				out, err = wire.MarshalPrettyLine(&n)
			default:
				out, err = wire.MarshalPretty(&n)
			}
			require.NoError(t, err)
			require.Equal(t, string(data), string(out))

			// The same through a plain `any` (maps sorted like BTreeMap) must
			// at least parse back to an equal generic value.
			var g any
			require.NoError(t, wire.Unmarshal(data, &g))
			again, err := wire.MarshalPretty(g)
			require.NoError(t, err)
			var g2 any
			require.NoError(t, wire.Unmarshal(again, &g2))
			require.Equal(t, g, g2)
		})
	}
}
