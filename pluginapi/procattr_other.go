//go:build !linux

package pluginapi

import "syscall"

// withParentDeathSignal returns attr unchanged: only Linux has a parent
// death signal (elsewhere go-plugin's own parent watch ends plugins).
func withParentDeathSignal(attr *syscall.SysProcAttr, _ syscall.Signal) *syscall.SysProcAttr {
	return attr
}
