//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// outputBytes is what cmd's process tree wrote to block devices (its
// rusage output blocks, 512 bytes each).
func outputBytes(cmd *exec.Cmd) int64 {
	if cmd.ProcessState == nil {
		return 0
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return ru.Oublock * 512
	}
	return 0
}
