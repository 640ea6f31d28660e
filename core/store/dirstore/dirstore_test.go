package dirstore_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/store/dirstore"
	"github.com/canic-backup/canic-backup/core/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := dirstore.Open(filepath.Join(t.TempDir(), "store"))
		require.NoError(t, err)
		return s
	}, storetest.Options{})
}

func TestLayoutOnDisk(t *testing.T) {
	root := t.TempDir()
	s, err := dirstore.Open(root)
	require.NoError(t, err)
	_, err = s.Put(context.Background(), "fleet/backup-1/manifest.json", bytes.NewReader([]byte("{}")), store.PutOptions{IfAbsent: true})
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(root, "fleet", "backup-1", "manifest.json"))
	require.NoError(t, err)
	assert.Equal(t, "{}", string(b))
	tmp, err := os.ReadDir(filepath.Join(root, ".canic-tmp"))
	require.NoError(t, err)
	assert.Empty(t, tmp, "no staging file left behind")
	assert.Equal(t, "dir:"+root, s.String())
}

func TestDigestWithoutXattr(t *testing.T) {
	root := t.TempDir()
	s, err := dirstore.Open(root)
	require.NoError(t, err)
	// A file placed by hand carries no recorded digest: Stat computes it.
	require.NoError(t, os.WriteFile(filepath.Join(root, "hand"), []byte("abc"), 0o644))
	info, err := s.Stat(context.Background(), "hand")
	require.NoError(t, err)
	assert.Equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", info.SHA256)
}

func BenchmarkPutGet256MiB(b *testing.B) {
	s, err := dirstore.Open(b.TempDir())
	require.NoError(b, err)
	storetest.BenchPutGet(b, s, 256<<20)
}
