//go:build windows

package seaweed

import (
	"os"
	"syscall"
)

// procAttr: Windows has no process groups to signal; the server is ended
// with TerminateProcess (signalGroup).
func procAttr() *syscall.SysProcAttr { return nil }

// signalGroup terminates the server: Windows cannot deliver SIGTERM, so
// both the polite and the forced stop are TerminateProcess.
func signalGroup(p *os.Process, _ bool) { _ = p.Kill() }
