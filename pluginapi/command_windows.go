//go:build windows

package pluginapi

import (
	"context"
	"os/exec"
	"time"
)

// CommandContext is exec.CommandContext for plugins that drive other
// programs (dfx, icp). When ctx is cancelled the child is terminated
// (TerminateProcess). Windows has no process groups to signal: a
// grandchild the tool started is not ended by the cancellation, but every
// process a plugin starts belongs to the job object the host bound the
// plugin to, so all of them end when the host process does (docs/safety.md,
// "Platforms"). Wait returns at most two seconds after cancellation even if
// a grandchild holds the pipes open.
func CommandContext(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 2 * time.Second
	return cmd
}
