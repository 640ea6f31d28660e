//go:build linux

package pluginapi

import "syscall"

// withParentDeathSignal returns a copy of attr (nil: a new one) that has the
// kernel SIGKILL the child when its parent dies (PR_SET_PDEATHSIG), so a
// killed canic-backup leaves no plugin and no icp/dfx process running a
// mutation nobody will record. Go delivers it when the thread that started
// the child exits; the runtime keeps threads for the process's life unless
// a goroutine exits locked to one, which canic-backup never does.
func withParentDeathSignal(attr *syscall.SysProcAttr) *syscall.SysProcAttr {
	c := &syscall.SysProcAttr{}
	if attr != nil {
		*c = *attr
	}
	c.Pdeathsig = syscall.SIGKILL
	return c
}
