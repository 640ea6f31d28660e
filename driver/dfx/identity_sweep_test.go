package dfx

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSweepRemovesOnlyDeadOwnersPrivateHomes: a start removes the private
// directories (and the keys in them) of processes that are gone, and keeps
// those of live processes, foreign names and symlinks.
func TestSweepRemovesOnlyDeadOwnersPrivateHomes(t *testing.T) {
	tmp := t.TempDir()
	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	mk := func(name, owner string) string {
		dir := filepath.Join(tmp, name)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "icp-home", "identity", "keys"), 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "icp-home", "identity", "keys", "k.pem"), []byte("KEY"), 0o600))
		if owner != "" {
			require.NoError(t, os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner), 0o600))
		}
		return dir
	}
	gone := mk(privatePrefix+"gone", ownerRecord(dead.ProcessState.Pid()))
	live := mk(privatePrefix+"live", ownerRecord(os.Getpid()))
	reused := mk(privatePrefix+"reused", "1 12345\n") // pid 1 started long before
	fresh := mk(privatePrefix+"fresh", "")            // no record yet: too young to sweep
	other := mk("other-dir", ownerRecord(dead.ProcessState.Pid()))
	target := mk("target", ownerRecord(dead.ProcessState.Pid()))
	link := filepath.Join(tmp, privatePrefix+"link")
	require.NoError(t, os.Symlink(target, link))

	sweepPrivateHomes(tmp)

	assert.NoDirExists(t, gone)
	assert.DirExists(t, live)
	assert.NoDirExists(t, reused, "a reused pid is not the owner")
	assert.DirExists(t, fresh)
	assert.DirExists(t, other)
	assert.DirExists(t, target)
	_, err := os.Lstat(link)
	assert.NoError(t, err, "a symlink is never followed nor removed")
}
