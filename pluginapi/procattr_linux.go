//go:build linux

package pluginapi

import "syscall"

// withParentDeathSignal returns a copy of attr (nil: a new one) that has the
// kernel send sig to the child when its parent dies (PR_SET_PDEATHSIG), so
// a killed canic-backup leaves no plugin and no icp/dfx process running a
// mutation nobody will record: plugins get SIGTERM (Serve cancels the calls
// in flight at once, as when it notices its host is gone) and the commands
// plugins run get SIGKILL. Go delivers it when the thread that started the
// child exits; the runtime keeps threads for the process's life unless a
// goroutine exits locked to one, which canic-backup never does.
func withParentDeathSignal(attr *syscall.SysProcAttr, sig syscall.Signal) *syscall.SysProcAttr {
	c := &syscall.SysProcAttr{}
	if attr != nil {
		*c = *attr
	}
	c.Pdeathsig = sig
	return c
}
