//go:build unix

package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/internal/fleettest"
	"github.com/canic-backup/canic-backup/sim"
)

// keyFiles lists every file under tmp that could hold the imported key:
// the icp executor's private directories and any .pem below them.
func keyFiles(t *testing.T, tmp string) []string {
	t.Helper()
	var found []string
	require.NoError(t, filepath.WalkDir(tmp, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(d.Name(), ".pem") || (d.IsDir() && strings.HasPrefix(d.Name(), "canic-backup-icp-")) {
			found = append(found, path)
		}
		return nil
	}))
	return found
}

// TestICPIdentityKeyNeverOutlivesTheProcess: the icp executor imports
// `identity_pem` into a private ICP_HOME under $TMPDIR. No key file (and
// no private directory) is left in a private TMPDIR after `plugins list`,
// after a normal run, and after the plugin process is killed with SIGKILL
// (which skips every cleanup): the next start sweeps the dead process's
// directory.
func TestICPIdentityKeyNeverOutlivesTheProcess(t *testing.T) {
	t.Parallel()
	f := startFleet(t, 64<<10)
	tmp := filepath.Join(t.TempDir(), "tmp")
	require.NoError(t, os.Mkdir(tmp, 0o700))
	env := []string{"TMPDIR=" + tmp}

	r := canic.Run(t, f.Dir, env, "plugins", "list", "--config", f.Config)
	require.Equal(t, 0, r.Code, r.String())
	assert.Contains(t, r.Stdout, executorOf[envICP])
	assert.Empty(t, keyFiles(t, tmp), "after plugins list")

	r = canic.Run(t, f.Dir, env, "backup", "create", "--config", f.Config, "--env", envICP, "--dry-run", "--out", filepath.Join(f.Dir, "dry"))
	require.Equal(t, 0, r.Code, r.String())
	assert.Empty(t, keyFiles(t, tmp), "after a normal run")

	// A run whose plugin is killed -9 while the key is imported: the host
	// is frozen first so it cannot start a new plugin, then killed too.
	f.Sim.SetFaults(sim.Faults{UpdateLatency: 200 * time.Millisecond})
	cmd, stdout, stderr := canic.Command(t, f.Dir, env, "backup", "create", "--config", f.Config, "--env", envICP, "--out", filepath.Join(f.Dir, "killed"))
	plugin := pluginChild(t, cmd.Process.Pid)
	require.Eventually(t, func() bool {
		for _, p := range keyFiles(t, tmp) {
			if strings.HasSuffix(p, ".pem") {
				return true
			}
		}
		return false
	}, time.Minute, 5*time.Millisecond, "the plugin imports the key")
	require.NoError(t, syscall.Kill(cmd.Process.Pid, syscall.SIGSTOP))
	require.NoError(t, syscall.Kill(plugin, syscall.SIGKILL))
	require.NoError(t, cmd.Process.Kill())
	_ = fleettest.Wait(t, cmd, stdout, stderr)
	f.Sim.SetFaults(sim.Faults{})
	require.Eventually(t, func() bool {
		_, err := os.Stat(filepath.Join("/proc", itoa(plugin)))
		return os.IsNotExist(err)
	}, 10*time.Second, 5*time.Millisecond, "the plugin is gone")
	assert.NotEmpty(t, keyFiles(t, tmp), "a kill -9 skips every cleanup")

	r = canic.Run(t, f.Dir, env, "plugins", "list", "--config", f.Config)
	require.Equal(t, 0, r.Code, r.String())
	assert.Empty(t, keyFiles(t, tmp), "the next start sweeps the dead process's key")
	assert.Equal(t, allRunning(f.Children...), fleettest.Statuses(t, f.Sim, f.Children...))
}
