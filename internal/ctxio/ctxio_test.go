package ctxio

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReaderStopsAtCancellation: reads pass through while the context is
// live and fail with its error, without touching the source, once it ends.
func TestReaderStopsAtCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	src := strings.NewReader("abcdef")
	r := NewReader(ctx, src)
	buf := make([]byte, 3)
	n, err := r.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "abc", string(buf[:n]))
	cancel()
	n, err = r.Read(buf)
	assert.Zero(t, n)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 3, src.Len(), "nothing more was read from the source")
	_, err = io.Copy(io.Discard, r)
	require.ErrorIs(t, err, context.Canceled)
}
