//go:build unix

package crashtest

import (
	"os"
	"syscall"
)

// killPID sends SIGKILL to pid.
func killPID(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

// killedBySIGKILL reports whether the process ended by SIGKILL (a kill
// point, or the harness).
func killedBySIGKILL(ps *os.ProcessState) bool {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}
