//go:build unix

package pluginapi_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/pluginapi"
)

func TestCommandContextKillsTheWholeGroupOnCancel(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "grandchild.pid")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The shell starts a grandchild sleep and records its pid.
	cmd := pluginapi.CommandContext(ctx, "sh", "-c", "sleep 30 & echo $! > "+pidFile+"; wait")
	require.NoError(t, cmd.Start())
	var grandchild int
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(pidFile)
		if err != nil {
			return false
		}
		grandchild, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
	require.True(t, alive(grandchild))

	start := time.Now()
	cancel()
	err := cmd.Wait()
	require.Error(t, err)
	assert.Less(t, time.Since(start), 3*time.Second, "Wait returns promptly after cancellation")
	require.Eventually(t, func() bool { return !alive(grandchild) || zombie(grandchild) }, 5*time.Second, 10*time.Millisecond,
		"the grandchild died with its group")
}
