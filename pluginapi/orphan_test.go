package pluginapi_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/pluginapi/examples/localdir/store"
)

// TestHelperProcessHost is not a test: re-executed by
// TestPluginExitsWhenHostDies with PLUGINAPI_HELPER_HOST=1, it plays a host
// that starts a slow download and then waits to be killed.
func TestHelperProcessHost(t *testing.T) {
	if os.Getenv("PLUGINAPI_HELPER_HOST") != "1" {
		return
	}
	root := os.Getenv("HELPER_ROOT")
	cmd := exec.Command(os.Getenv("HELPER_BIN"))
	cmd.Env = []string{"LOCALDIR_ROOT=" + root, "LOCALDIR_CHUNK_SIZE=1024", "LOCALDIR_CHUNK_DELAY=100ms"}
	client, err := pluginapi.NewClient(pluginapi.ClientConfig{Name: "localdir", Cmd: cmd})
	require.NoError(t, err)
	target := pluginapi.Target{CanisterID: os.Getenv("HELPER_CANISTER")}
	ctx := context.Background()
	require.NoError(t, client.StopCanister(ctx, target))
	snap, err := client.CreateSnapshot(ctx, target)
	require.NoError(t, err)
	_, _ = client.DownloadSnapshot(ctx, target, snap.ID, t.TempDir(), func(pluginapi.Progress) {
		_, _ = os.Stdout.WriteString("downloading\n")
	})
	select {} // killed by the parent test
}

func TestPluginExitsWhenHostDies(t *testing.T) {
	root := t.TempDir()
	demo, err := store.SeedDemo(root, 256<<10)
	require.NoError(t, err)
	host := exec.Command(os.Args[0], "-test.run=^TestHelperProcessHost$")
	host.Env = append(os.Environ(), "PLUGINAPI_HELPER_HOST=1", "HELPER_ROOT="+root,
		"HELPER_BIN="+bins.localdir, "HELPER_CANISTER="+demo.App)
	out, err := host.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, host.Start())
	t.Cleanup(func() { _ = host.Process.Kill(); _ = host.Wait() })

	lines := bufio.NewScanner(out)
	started := make(chan bool, 1)
	go func() {
		for lines.Scan() {
			if lines.Text() == "downloading" {
				started <- true
				break
			}
		}
		for lines.Scan() {
		}
	}()
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("helper host never started its download")
	}
	f := &fixture{root: root}
	pid := f.pid(t)
	require.True(t, alive(pid))

	require.NoError(t, host.Process.Kill()) // the host dies without cleaning up
	_ = host.Wait()
	require.Eventually(t, func() bool { return !alive(pid) || zombie(pid) }, 10*time.Second, 50*time.Millisecond,
		"the plugin exits when its host is gone")
	calls, err := store.ReadCalls(root)
	require.NoError(t, err)
	var outcome string
	for _, c := range calls {
		if c.Method == "DownloadSnapshot" {
			outcome = c.Outcome
		}
	}
	assert.Equal(t, "canceled", outcome, "the in-flight download saw its context cancelled before the plugin exited")
}
