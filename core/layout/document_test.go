//go:build unix

package layout_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/layout"
)

// TestReadDocumentRefusesSpecialFiles: a FIFO (which would block the open
// for ever), a symlink (to /dev/zero, which would grow memory without
// bound), a device, a directory and a file over the bound are refused with
// the path and the reason; a regular file is read; a missing one matches
// fs.ErrNotExist.
func TestReadDocumentRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.json")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	link := filepath.Join(dir, "zero.json")
	require.NoError(t, os.Symlink("/dev/zero", link))
	big := filepath.Join(dir, "big.json")
	require.NoError(t, os.WriteFile(big, []byte(strings.Repeat(" ", 101)), 0o600))
	ok := filepath.Join(dir, "ok.json")
	require.NoError(t, os.WriteFile(ok, []byte("{}"), 0o600))

	for path, reason := range map[string]string{
		fifo:        "is not a regular file (a named pipe)",
		link:        "is a symbolic link",
		"/dev/zero": "is not a regular file (a character device)",
		dir:         "is not a regular file (a directory)",
		big:         "is 101 bytes, larger than the 100-byte limit",
	} {
		_, err := layout.ReadDocument(path, 100)
		require.ErrorIs(t, err, layout.ErrNotDocument, path)
		assert.Contains(t, err.Error(), path+": "+reason)
	}
	data, err := layout.ReadDocument(ok, 100)
	require.NoError(t, err)
	assert.Equal(t, "{}", string(data))
	_, err = layout.ReadDocument(filepath.Join(dir, "absent.json"), 100)
	assert.ErrorIs(t, err, fs.ErrNotExist)

	var v map[string]any
	assert.ErrorIs(t, layout.ReadJSON(fifo, &v), layout.ErrNotDocument, "ReadJSON goes through ReadDocument")
}
