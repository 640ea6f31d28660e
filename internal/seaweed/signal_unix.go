//go:build unix

package seaweed

import (
	"os"
	"syscall"
)

// signalGroup sends the server's process group SIGTERM, or SIGKILL when
// force is set.
func signalGroup(p *os.Process, force bool) {
	sig := syscall.SIGTERM
	if force {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-p.Pid, sig)
}
