package archive

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/store"
)

// TestHolderGoneOnlyForDeadProcessesOfThisHost: a lease of this host whose
// process has exited is gone; a live process, this process, another host
// and a record without a pid are not.
func TestHolderGoneOnlyForDeadProcessesOfThisHost(t *testing.T) {
	cmd := exec.Command("true")
	require.NoError(t, cmd.Run())
	dead := cmd.Process.Pid

	gone := HolderGone("host-a")
	assert.True(t, gone(store.LeaseRecord{Host: "host-a", PID: dead}), "an exited process of this host")
	assert.False(t, gone(store.LeaseRecord{Host: "host-b", PID: dead}), "another host's pid says nothing here")
	assert.False(t, gone(store.LeaseRecord{Host: "host-a", PID: os.Getpid()}), "this process")
	assert.False(t, gone(store.LeaseRecord{Host: "host-a", PID: os.Getppid()}), "a live process")
	assert.False(t, gone(store.LeaseRecord{Host: "host-a", PID: 0}), "no pid")
	assert.False(t, HolderGone("")(store.LeaseRecord{Host: "", PID: dead}), "no host identity")
}
