package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var epoch = time.Unix(1765000000, 0).UTC()

// members writes two files into a temp dir and returns them as archive
// members.
func members(t *testing.T) []archiveFile {
	dir := t.TempDir()
	bin := filepath.Join(dir, "canic-backup")
	doc := filepath.Join(dir, "README.md")
	require.NoError(t, os.WriteFile(bin, []byte("\x7fELF binary"), 0o700))
	require.NoError(t, os.WriteFile(doc, []byte("# readme\n"), 0o600))
	return []archiveFile{
		{name: "pkg/canic-backup", path: bin, mode: 0o755},
		{name: "pkg/README.md", path: doc, mode: 0o644},
	}
}

func TestTarGzIsTheSameBytesWhateverTheFilesTimesAndModes(t *testing.T) {
	files := members(t)
	var a, b bytes.Buffer
	require.NoError(t, writeTarGz(&a, files, epoch))
	for _, f := range files {
		require.NoError(t, os.Chtimes(f.path, time.Now(), time.Now().Add(time.Hour)))
		require.NoError(t, os.Chmod(f.path, 0o640))
	}
	require.NoError(t, writeTarGz(&b, files, epoch))
	assert.Equal(t, a.Bytes(), b.Bytes())

	gz, err := gzip.NewReader(&a)
	require.NoError(t, err)
	assert.True(t, gz.ModTime.IsZero(), "no time in the gzip header")
	assert.Empty(t, gz.Name)
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		names = append(names, h.Name)
		assert.Equal(t, epoch, h.ModTime.UTC(), h.Name)
		assert.Equal(t, 0, h.Uid)
		assert.Equal(t, 0, h.Gid)
		assert.Empty(t, h.Uname)
		assert.Empty(t, h.Gname)
		if h.Name == "pkg/canic-backup" {
			assert.Equal(t, int64(0o755), h.Mode)
		} else {
			assert.Equal(t, int64(0o644), h.Mode)
		}
	}
	assert.Equal(t, []string{"pkg/canic-backup", "pkg/README.md"}, names, "the given order")
}

func TestZipIsTheSameBytesWhateverTheFilesTimes(t *testing.T) {
	files := members(t)
	var a, b bytes.Buffer
	require.NoError(t, writeZip(&a, files, epoch))
	for _, f := range files {
		require.NoError(t, os.Chtimes(f.path, time.Now(), time.Now().Add(time.Hour)))
	}
	require.NoError(t, writeZip(&b, files, epoch))
	assert.Equal(t, a.Bytes(), b.Bytes())

	zr, err := zip.NewReader(bytes.NewReader(a.Bytes()), int64(a.Len()))
	require.NoError(t, err)
	require.Len(t, zr.File, 2)
	assert.Equal(t, "pkg/canic-backup", zr.File[0].Name)
	assert.Equal(t, os.FileMode(0o755), zr.File[0].Mode().Perm())
	assert.True(t, epoch.Equal(zr.File[0].Modified), "mtime %s", zr.File[0].Modified)
}

func TestModuleHashesDecodesGoSumH1(t *testing.T) {
	// h1 of an all-zero digest is base64 of 32 zero bytes.
	h := moduleHashes("h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	require.NotNil(t, h)
	assert.Equal(t, "SHA-256", string((*h)[0].Algorithm))
	assert.Equal(t, "0000000000000000000000000000000000000000000000000000000000000000", (*h)[0].Value)
	assert.Nil(t, moduleHashes(""), "no sum (the main module)")
	assert.Nil(t, moduleHashes("h2:abc"), "unknown scheme")
	assert.Nil(t, moduleHashes("h1:not base64!"))
}

func TestSBOMListsEveryModuleSortedWithItsHash(t *testing.T) {
	info := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/canic-backup/canic-backup", Version: "(devel)"},
		Deps: []*debug.Module{
			{Path: "golang.org/x/sys", Version: "v0.48.0", Sum: "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
			{Path: "github.com/urfave/cli/v2", Version: "v2.27.7", Sum: "h1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="},
		},
		Settings: []debug.BuildSetting{{Key: "CGO_ENABLED", Value: "0"}},
	}
	subject := sbomSubject{version: "v1.0.0", commit: "abc", target: target{"linux", "amd64"}, binarySHA256: "ff", epoch: epoch}
	var a, b bytes.Buffer
	require.NoError(t, writeSBOM(&a, info, subject))
	require.NoError(t, writeSBOM(&b, info, subject))
	assert.Equal(t, a.String(), b.String(), "no random serial, no clock")

	var doc struct {
		BOMFormat string `json:"bomFormat"`
		Metadata  struct {
			Timestamp string `json:"timestamp"`
			Component struct {
				Name    string `json:"name"`
				Version string `json:"version"`
				PURL    string `json:"purl"`
				Hashes  []struct{ Alg, Content string }
			} `json:"component"`
		} `json:"metadata"`
		Components []struct {
			Name    string `json:"name"`
			Version string `json:"version"`
			PURL    string `json:"purl"`
			Hashes  []struct{ Alg, Content string }
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(a.Bytes(), &doc))
	assert.Equal(t, "CycloneDX", doc.BOMFormat)
	assert.Equal(t, "2025-12-06T05:46:40Z", doc.Metadata.Timestamp)
	assert.Equal(t, "v1.0.0", doc.Metadata.Component.Version)
	assert.Equal(t, "pkg:golang/github.com/canic-backup/canic-backup@v1.0.0?goos=linux&goarch=amd64", doc.Metadata.Component.PURL)
	assert.Equal(t, "ff", doc.Metadata.Component.Hashes[0].Content)
	require.Len(t, doc.Components, 2)
	assert.Equal(t, "github.com/urfave/cli/v2", doc.Components[0].Name, "sorted by path")
	assert.Equal(t, "pkg:golang/golang.org/x/sys@v0.48.0", doc.Components[1].PURL)
	assert.Equal(t, "0101010101010101010101010101010101010101010101010101010101010101", doc.Components[0].Hashes[0].Content)
}

func TestCheckStaticRefusesADynamicBinary(t *testing.T) {
	dyn, err := exec.LookPath("sh")
	require.NoError(t, err)
	real, err := filepath.EvalSymlinks(dyn)
	require.NoError(t, err)
	err = checkStatic(real)
	require.Error(t, err, "%s is a dynamically linked system binary", real)
	assert.Contains(t, err.Error(), "dynamically linked")
}

func TestCheckStaticAcceptsACgoFreeGoBinary(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module hello\n\ngo 1.22\n"), 0o644))
	bin := filepath.Join(dir, "hello")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.NoError(t, checkStatic(bin))
}

func TestWriteSumsIsWhatSha256sumReads(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.zip"), []byte("b"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.tar.gz"), []byte("a"), 0o644))
	require.NoError(t, writeSums(dir, []string{"b.zip", "a.tar.gz"}))
	got, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	require.NoError(t, err)
	assert.Equal(t, "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb  a.tar.gz\n"+
		"3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d  b.zip\n", string(got))
	if sha, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command(sha, "-c", "SHA256SUMS")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "%s", out)
	}
}
