//go:build windows

package e2e

import "os"

// killPID ends pid (TerminateProcess; Windows has no SIGKILL).
func killPID(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

// killedBySIGKILL reports whether the process was ended the way
// killpoint.Hit and killPID end it on Windows (TerminateProcess with exit
// code 137, or 1 from os.Process.Kill).
func killedBySIGKILL(ps *os.ProcessState) bool {
	return ps != nil && (ps.ExitCode() == 137 || ps.ExitCode() == 1)
}
