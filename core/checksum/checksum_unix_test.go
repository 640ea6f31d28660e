//go:build unix

package checksum

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFifoInsideArtifactIsRejected(t *testing.T) {
	root := t.TempDir()
	fifo := filepath.Join(root, "pipe")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	_, err := FromDirectory(context.Background(), root)
	var ee *EntryError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, fifo, ee.Path)
	assert.Equal(t, "named pipe", ee.Kind)
}
