//go:build linux

package pluginapi_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/pluginapi"
)

// TestHelperProcessCommandParent is not a test: re-executed by
// TestCommandDiesWithItsParent, it starts `sleep 60` through
// CommandContext, prints the child's pid and waits to be killed.
func TestHelperProcessCommandParent(t *testing.T) {
	if os.Getenv("PLUGINAPI_HELPER_COMMAND_PARENT") != "1" {
		return
	}
	cmd := pluginapi.CommandContext(context.Background(), "sleep", "60")
	require.NoError(t, cmd.Start())
	fmt.Printf("child %d\n", cmd.Process.Pid)
	select {}
}

// TestCommandDiesWithItsParent: a process started with CommandContext (an
// icp or dfx call of a driver plugin) is killed by the kernel when the
// plugin process dies, even by SIGKILL.
func TestCommandDiesWithItsParent(t *testing.T) {
	parent := exec.Command(os.Args[0], "-test.run", "^TestHelperProcessCommandParent$")
	parent.Env = append(os.Environ(), "PLUGINAPI_HELPER_COMMAND_PARENT=1")
	out, err := parent.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, parent.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	child, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "child ")))
	require.NoError(t, err, line)
	require.NoError(t, syscall.Kill(child, 0), "the child runs")
	require.NoError(t, parent.Process.Kill())
	_ = parent.Wait()
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
		if err != nil {
			return true // gone (reaped by init)
		}
		i := strings.LastIndexByte(string(b), ')')
		return i > 0 && strings.HasPrefix(string(b[i+1:]), " Z")
	}, 5*time.Second, 20*time.Millisecond, "sleep %d outlived its killed parent", child)
}
