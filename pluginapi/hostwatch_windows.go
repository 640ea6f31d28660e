//go:build windows

package pluginapi

import (
	"os"
	"os/signal"

	"github.com/canic-backup/canic-backup/internal/platform"
)

// waitHostGone returns, with the reason, once the host process parent has
// exited or an interrupt (Ctrl+C/Ctrl+Break, console close) arrived.
// Windows does not reparent orphans, so instead of polling the parent pid
// this waits on a handle to the host process (opened once, so a reused pid
// cannot fool it). The host also binds this plugin to a job object that
// ends it when the host dies (platform.BindToHost); this watch is what lets
// the plugin cancel its calls first when it gets the chance.
func waitHostGone(parent int) string {
	term := make(chan os.Signal, 1)
	signal.Notify(term, os.Interrupt)
	gone := platform.ProcessExited(parent)
	select {
	case <-gone:
		return "host process is gone"
	case <-term:
		return "terminated (the host may be gone)"
	}
}
