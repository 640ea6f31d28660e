//go:build unix

package pluginapi

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

// waitHostGone returns, with the reason, once the host process parent is
// gone (this plugin was reparented) or SIGTERM arrived.
func waitHostGone(parent int) string {
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	why := "host process is gone"
	for {
		select {
		case <-tick.C:
			if os.Getppid() == parent {
				continue
			}
		case <-term:
			why = "terminated (the host may be gone)"
		}
		break
	}
	return why
}
