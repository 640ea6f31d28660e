//go:build linux

package seaweed

import "syscall"

// procAttr puts the server in its own process group and kills it if the
// test process dies first.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
