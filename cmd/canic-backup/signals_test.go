//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedBuffer is a bytes.Buffer safe for the signal goroutine's writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestFirstSignalCancelsSecondSkipsRestart: the first SIGTERM cancels the
// context and says canisters are being started again (and that a second
// signal skips it); the second says the restart is skipped and names
// backup recover.
func TestFirstSignalCancelsSecondSkipsRestart(t *testing.T) {
	var msgs lockedBuffer
	ctx, stop := interruptContext(context.Background(), &msgs)
	defer stop()
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	select {
	case <-ctx.Done():
	case <-time.After(time.Minute):
		t.Fatal("the first signal did not cancel the context")
	}
	require.Eventually(t, func() bool { return bytes.Contains([]byte(msgs.String()), []byte("started again")) }, time.Minute, time.Millisecond)
	assert.Contains(t, msgs.String(), "canic-backup: terminated (SIGTERM): stopping; canisters this run stopped are started again (at most 2m0s); send it again to skip that")
	assert.NotContains(t, msgs.String(), "second")

	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGINT))
	require.Eventually(t, func() bool { return bytes.Contains([]byte(msgs.String()), []byte("second")) }, time.Minute, time.Millisecond)
	assert.Contains(t, msgs.String(), "canic-backup: second signal (interrupt): not starting stopped canisters; start them with `canic-backup backup recover --dir DIR`")
}
