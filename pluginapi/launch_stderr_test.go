package pluginapi_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/pluginapi"
)

// TestPluginFailingBeforeHandshakeSaysWhy: a plugin that cannot start
// (here a script that prints its reason on stderr and exits 1, as a
// built-in driver with a missing tool does) is reported with its own last
// stderr line, not only go-plugin's "Unrecognized remote plugin message"
// guesses about architectures and libraries.
func TestPluginFailingBeforeHandshakeSaysWhy(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "broken-plugin")
	script := "#!/bin/sh\necho 'starting' >&2\necho 'error: driver dfx: binary = \"icp\": executable file not found in $PATH' >&2\nexit 1\n"
	require.NoError(t, os.WriteFile(bin, []byte(script), 0o755))
	c, err := pluginapi.NewClient(pluginapi.ClientConfig{Name: "broken", Cmd: exec.Command(bin), StartTimeout: 10 * time.Second})
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	_, err = c.Info(ctx)
	var le *pluginapi.LaunchError
	require.True(t, errors.As(err, &le), "%T %v", err, err)
	assert.Equal(t, `error: driver dfx: binary = "icp": executable file not found in $PATH`, le.Stderr)
	assert.Equal(t, `executor "broken": cannot start plugin `+bin+`: it exited before the handshake saying: error: driver dfx: binary = "icp": executable file not found in $PATH`, err.Error())
	assert.False(t, strings.Contains(err.Error(), "architecture"), err.Error())
}
