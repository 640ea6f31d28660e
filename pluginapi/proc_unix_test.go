//go:build unix

package pluginapi_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// killPID sends SIGKILL to pid.
func killPID(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

// zombie reports whether pid has exited but not been reaped (its parent,
// the killed shell, is gone and init reaps it eventually).
func zombie(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	f := strings.Fields(string(b))
	return len(f) > 2 && f[2] == "Z"
}
