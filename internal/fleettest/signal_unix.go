//go:build unix

package fleettest

import (
	"os"
	"syscall"
)

// KillPID sends SIGKILL to pid.
func KillPID(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

// KilledBySIGKILL reports whether the process ended by SIGKILL (a kill
// point, or the harness).
func KilledBySIGKILL(ps *os.ProcessState) bool {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}
