//go:build windows

package fleettest

import "os"

// KillPID ends pid (TerminateProcess; Windows has no SIGKILL).
func KillPID(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

// KilledBySIGKILL reports whether the process was ended the way
// killpoint.Hit and KillPID end it on Windows (TerminateProcess with exit
// code 137, or 1 from os.Process.Kill).
func KilledBySIGKILL(ps *os.ProcessState) bool {
	return ps != nil && (ps.ExitCode() == 137 || ps.ExitCode() == 1)
}
