package host

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/hashicorp/go-hclog"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/pluginapi"
)

// Environment variables of the built-in plugin process and of logging.
const (
	// EnvDriverSettings carries a built-in driver's settings (TOML) to the
	// re-executed canic-backup serving it. Settings hold paths (an identity
	// PEM's path, never its contents), and the environment, unlike the
	// command line, is readable only by the user.
	EnvDriverSettings = "CANIC_BACKUP_DRIVER_SETTINGS"
	// EnvLogLevel sets the level of canic-backup's and its plugins' log on
	// stderr: trace, debug, info, warn, error, off (default).
	EnvLogLevel = "CANIC_BACKUP_LOG"
)

// ServeCommandName is the hidden canic-backup command serving a built-in
// driver.
const ServeCommandName = "plugin-serve"

// Launcher is what starting an executor needs from the process around it.
type Launcher struct {
	// Getenv reads the environment ($CANIC_BACKUP_LOG, $GOMEMLIMIT).
	Getenv func(string) string
	// Stderr receives the host's log.
	Stderr io.Writer
	// Self returns the canic-backup binary that serves built-in drivers;
	// nil means os.Executable.
	Self func() (string, error)
}

func (l Launcher) getenv(k string) string {
	if l.Getenv == nil {
		return ""
	}
	return l.Getenv(k)
}

func (l Launcher) self() (string, error) {
	if l.Self != nil {
		return l.Self()
	}
	return os.Executable()
}

// Logger is the host's log on stderr (level from $CANIC_BACKUP_LOG).
func (l Launcher) Logger() hclog.Logger {
	// Off by default: every failure the user must see is in the command's
	// error (executor name, exit status, digests); the plugin machinery's
	// own chatter would only bury it.
	level := hclog.Off
	if v := l.getenv(EnvLogLevel); v != "" {
		if lv := hclog.LevelFromString(v); lv != hclog.NoLevel {
			level = lv
		}
	}
	return hclog.New(&hclog.LoggerOptions{Name: "canic-backup", Level: level, Output: l.Stderr})
}

// Client returns the plugin client of ex; the process starts on first use.
// A built-in driver runs as the canic-backup binary re-executed with the
// hidden plugin-serve command; a "plugin" runs the configured executable,
// checked against its sha256 pin when one is set.
func (l Launcher) Client(ex config.Executor) (*pluginapi.Client, error) {
	cc := pluginapi.ClientConfig{Name: ex.Name, Logger: l.Logger()}
	if ex.Plugin != nil {
		p := ex.Plugin
		cmd := exec.Command(p.Path, p.Args...)
		keys := make([]string, 0, len(p.Env))
		for k := range p.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			cmd.Env = append(cmd.Env, k+"="+p.Env[k])
		}
		cc.Cmd, cc.SHA256 = cmd, p.SHA256
		cc.StartTimeout, cc.MaxRestarts = time.Duration(p.StartTimeout), p.MaxRestarts
		return pluginapi.NewClient(cc)
	}
	self, err := l.self()
	if err != nil {
		return nil, fmt.Errorf("executor %q: locate the canic-backup binary to serve driver %s: %w", ex.Name, ex.Driver, err)
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(ex.Settings); err != nil {
		return nil, fmt.Errorf("executor %q: encode %s settings: %w", ex.Name, ex.Driver, err)
	}
	cmd := exec.Command(self, ServeCommandName, "--driver", ex.Driver, "--name", ex.Name)
	cmd.Env = []string{EnvDriverSettings + "=" + buf.String(), "GOMEMLIMIT=" + l.driverMemoryLimit()}
	if v := l.getenv(EnvLogLevel); v != "" {
		cmd.Env = append(cmd.Env, EnvLogLevel+"="+v)
	}
	cc.Cmd = cmd
	return pluginapi.NewClient(cc)
}

// Start builds ex's client and starts its process now, so that a bad pin,
// a protocol mismatch or a missing binary fails before any work. The
// caller closes the client.
func (l Launcher) Start(ctx context.Context, ex config.Executor) (*pluginapi.Client, error) {
	client, err := l.Client(ex)
	if err != nil {
		return nil, err
	}
	if err := client.Start(ctx); err != nil {
		_ = client.Close()
		return nil, err
	}
	return client, nil
}

// Open starts ex and adapts it for a run on network; closing the returned
// func ends the plugin process.
func (l Launcher) Open(ctx context.Context, ex config.Executor, network string) (*Adapter, func() error, error) {
	client, err := l.Start(ctx, ex)
	if err != nil {
		return nil, nil, err
	}
	return New(client, client.Name(), network), client.Close, nil
}

// OpenPath starts the plugin binary at path (pinned by sha256 when set),
// as `backup run --plugin` names it, and adapts it for network.
func OpenPath(ctx context.Context, path, sha256, network string) (*Adapter, func() error, error) {
	client, err := pluginapi.NewClient(pluginapi.ClientConfig{
		Name:   "plugin",
		Cmd:    exec.Command(path),
		SHA256: sha256,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("executor plugin %s: %w", path, err)
	}
	if err := client.Start(ctx); err != nil {
		_ = client.Close()
		return nil, nil, fmt.Errorf("executor plugin %s: %w", path, err)
	}
	return New(client, client.Name(), network), client.Close, nil
}

// DefaultDriverMemoryLimit is the Go soft memory limit of a built-in
// driver's process. Transfers churn through megabyte-sized responses; the
// limit makes the collector return them promptly instead of letting the
// heap double, which keeps the plugin's resident memory near its live data
// (measured: the 7 x 32 MiB fleet benchmark peaks at about 120 MiB for
// canic-backup and its plugin together with 64 chunk calls in flight).
const DefaultDriverMemoryLimit = "64MiB"

// driverMemoryLimit is $GOMEMLIMIT when set, else DefaultDriverMemoryLimit.
func (l Launcher) driverMemoryLimit() string {
	if v := l.getenv("GOMEMLIMIT"); v != "" {
		return v
	}
	return DefaultDriverMemoryLimit
}
