//go:build unix

package pluginapi

import (
	"context"
	"os/exec"
	"syscall"
	"time"
)

// CommandContext is exec.CommandContext for plugins that drive other
// programs (dfx, icp): the child runs in its own process group, and when ctx
// is cancelled the whole group is killed, so grandchildren the tool started
// end too and a cancelled call leaves nothing running. Wait returns at most
// two seconds after cancellation even if a grandchild holds the pipes open.
// On Linux the child also gets SIGKILL when the plugin process dies.
func CommandContext(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = withParentDeathSignal(&syscall.SysProcAttr{Setpgid: true}, syscall.SIGKILL)
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		// A negative pid signals the whole process group.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 2 * time.Second
	return cmd
}
