package plugintest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/pluginapi/examples/localdir/store"
	"github.com/canic-backup/canic-backup/pluginapi/plugintest"
)

// localdirBin is the example plugin, built once by TestMain.
var localdirBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "plugintest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	localdirBin, err = plugintest.Build(ctx, dir, "localdir", "../examples/localdir")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// TestLocaldirConforms runs the conformance suite against the example
// plugin, launched as a real subprocess.
func TestLocaldirConforms(t *testing.T) {
	root := t.TempDir()
	demo, err := store.SeedDemo(root, 256<<10)
	require.NoError(t, err)
	cmd := exec.Command(localdirBin)
	cmd.Env = []string{"LOCALDIR_ROOT=" + root, "LOCALDIR_CHUNK_SIZE=16384", "LOCALDIR_CHUNK_DELAY=5ms"}
	client, err := pluginapi.NewClient(pluginapi.ClientConfig{
		Name: "localdir", Cmd: cmd,
		Logger: hclog.New(&hclog.LoggerOptions{Output: hclog.DefaultOutput, Level: hclog.Warn}),
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })

	plugintest.Run(t, plugintest.Config{
		Executor: client, Network: "local", Root: demo.Root, Canister: demo.App,
		Foreign: demo.Foreign, Missing: demo.Missing,
		Cancelled: func(t *testing.T) bool {
			deadline := time.Now().Add(5 * time.Second)
			for time.Now().Before(deadline) {
				calls, err := store.ReadCalls(root)
				require.NoError(t, err)
				for _, c := range calls {
					if c.Method == "DownloadSnapshot" && c.Outcome == "canceled" {
						return true
					}
				}
				time.Sleep(20 * time.Millisecond)
			}
			return false
		},
	})

	calls, err := store.ReadCalls(root)
	require.NoError(t, err)
	methods := map[string]bool{}
	for _, c := range calls {
		methods[c.Method] = true
	}
	for _, m := range []string{"Info", "Preflight", "QueryRegistry", "CanisterStatus", "StopCanister", "StartCanister",
		"CreateSnapshot", "ListSnapshots", "DeleteSnapshot", "DownloadSnapshot", "UploadSnapshot", "LoadSnapshot"} {
		require.True(t, methods[m], "the suite exercised %s (call log: %s)", m, strings.Join(keys(methods), ","))
	}
}

func keys(m map[string]bool) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	return out
}
