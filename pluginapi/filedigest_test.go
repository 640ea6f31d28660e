package pluginapi

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// digestFake returns a download result carrying file digests (or none).
type digestFake struct {
	Executor
	files []FileDigest
}

func (f *digestFake) DownloadSnapshot(_ context.Context, _ Target, id, _ string, _ ProgressFunc) (TransferResult, error) {
	return TransferResult{SnapshotID: id, Bytes: 7, Files: f.files}, nil
}

// TestFileDigestsCrossTheBoundary: the optional per-file digests of a
// download arrive intact, and a plugin that sends none yields nil (an
// older plugin is indistinguishable from one without the feature).
func TestFileDigestsCrossTheBoundary(t *testing.T) {
	files := []FileDigest{
		{Path: "metadata.json", Size: 3, SHA256: "aa"},
		{Path: "wasm_chunk_store/01.bin", Size: 4, SHA256: "bb"},
	}
	ex := inProcess(t, &digestFake{files: files})
	res, err := ex.DownloadSnapshot(context.Background(), Target{CanisterID: "x"}, "ab", "/d", nil)
	require.NoError(t, err)
	assert.Equal(t, files, res.Files)
	assert.Equal(t, uint64(7), res.Bytes)

	ex = inProcess(t, &digestFake{})
	res, err = ex.DownloadSnapshot(context.Background(), Target{CanisterID: "x"}, "ab", "/d", nil)
	require.NoError(t, err)
	assert.Nil(t, res.Files)
}
