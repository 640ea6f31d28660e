package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// treeRSS samples the resident memory of a process and its descendants
// (read from /proc) and keeps the peak of their sum.
type treeRSS struct {
	mu   sync.Mutex
	peak int64
}

// rescanEvery is how many samples pass between two scans of /proc for new
// descendants; the samples between them read only the known members'
// RSS. Scanning all of /proc every 10 ms took a sixth of the machine's
// CPU on a busy host and slowed the contender it measured.
const rescanEvery = 5

// watch samples pid's tree every interval until ctx ends.
func (t *treeRSS) watch(ctx context.Context, pid int, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var members []int
	for n := 0; ; n++ {
		if n%rescanEvery == 0 {
			members = treePIDs(pid)
		}
		var sum int64
		for _, p := range members {
			sum += rssBytes(p)
		}
		if sum > 0 {
			t.mu.Lock()
			t.peak = max(t.peak, sum)
			t.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Peak returns the largest sum seen, in bytes.
func (t *treeRSS) Peak() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.peak
}

// treePIDs lists root and every descendant (read from /proc).
func treePIDs(root int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	parent := map[int]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, ok := ppid(pid); ok {
			parent[pid] = pp
		}
	}
	inTree := func(pid int) bool {
		for i := 0; i < 64 && pid > 1; i++ {
			if pid == root {
				return true
			}
			pid = parent[pid]
		}
		return pid == root
	}
	var out []int
	for pid := range parent {
		if inTree(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// ppid reads the parent of pid from /proc/pid/stat.
func ppid(pid int) (int, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, false
	}
	// The command name (field 2) may hold spaces; fields resume after ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(f[1])
	return pp, err == nil
}

// rssBytes reads VmRSS of pid.
func rssBytes(pid int) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// timedRun runs cmd with its output in stdout and stderr, and returns its
// wall time in seconds and the peak RSS of its process tree in MiB. A
// failed command's error names it and carries its output.
func timedRun(ctx context.Context, cmd *exec.Cmd, stdout, stderr *bytes.Buffer) (float64, float64, error) {
	cmd.Stdout, cmd.Stderr = stdout, stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	var rss treeRSS
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { rss.watch(wctx, cmd.Process.Pid, 10*time.Millisecond); close(done) }()
	err := cmd.Wait()
	wall := time.Since(start).Seconds()
	stop()
	<-done
	peak := float64(rss.Peak()) / (1 << 20)
	if err != nil {
		return wall, peak, fmt.Errorf("%s: %w\n%s%s", strings.Join(cmd.Args, " "), err, stdout.String(), stderr.String())
	}
	return wall, peak, nil
}
