// Command testplugin serves the agent executor as a canic-backup plugin for
// the driver's subprocess tests. Its settings come as TOML in
// $CANIC_AGENT_TOML. When $CANIC_AGENT_HWM_FILE is set, every
// DownloadSnapshot resets the process's peak RSS first and writes VmHWM
// (as /proc/self/status reports it) to that file afterwards.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/canic-backup/canic-backup/driver/agent"
	"github.com/canic-backup/canic-backup/pluginapi"
)

func main() {
	log := pluginapi.NewPluginLogger("agent")
	var s agent.Settings
	if _, err := toml.Decode(os.Getenv("CANIC_AGENT_TOML"), &s); err != nil {
		log.Error("bad settings", "error", err.Error())
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	e, err := agent.New(ctx, s, log)
	cancel()
	if err != nil {
		log.Error("cannot start the agent executor", "error", err.Error())
		os.Exit(1)
	}
	var impl pluginapi.Executor = e
	if p := os.Getenv("CANIC_AGENT_HWM_FILE"); p != "" {
		impl = &hwm{Executor: e, path: p}
	}
	pluginapi.ServeWith(impl, pluginapi.ServeOptions{Logger: log})
}

// hwm records the peak RSS of each download.
type hwm struct {
	*agent.Executor
	path string
}

func (h *hwm) DownloadSnapshot(ctx context.Context, t pluginapi.Target, id, dir string, p pluginapi.ProgressFunc) (pluginapi.TransferResult, error) {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	res, err := h.Executor.DownloadSnapshot(ctx, t, id, dir, p)
	b, rerr := os.ReadFile("/proc/self/status")
	if rerr == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "VmHWM:") {
				_ = os.WriteFile(h.path, []byte(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))), 0o644)
			}
		}
	} else {
		_ = os.WriteFile(h.path, []byte(fmt.Sprint("error: ", rerr)), 0o644)
	}
	return res, err
}
