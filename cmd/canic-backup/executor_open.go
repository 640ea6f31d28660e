package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/hashicorp/go-hclog"
	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/pluginapi"
)

// Environment variables of the built-in plugin process and of logging.
const (
	// envDriverSettings carries a built-in driver's settings (TOML) to the
	// re-executed canic-backup serving it. Settings hold paths (an identity
	// PEM's path, never its contents), and the environment, unlike the
	// command line, is readable only by the user.
	envDriverSettings = "CANIC_BACKUP_DRIVER_SETTINGS"
	// envLogLevel sets the level of canic-backup's and its plugins' log on
	// stderr: trace, debug, info, warn, error, off (default).
	envLogLevel = "CANIC_BACKUP_LOG"
)

// pluginServeCommandName is the hidden command serving a built-in driver.
const pluginServeCommandName = "plugin-serve"

// configFlag is --config FILE.
func configFlag() cli.Flag {
	return &cli.StringFlag{Name: "config", Usage: "config `FILE` (default ./canic.toml, then <user config dir>/canic-backup/canic.toml; env " + config.EnvConfig + ")"}
}

// envFlag is --env NAME.
func envFlag() cli.Flag {
	return &cli.StringFlag{Name: "env", Usage: "environment `NAME` from the config (env " + config.EnvEnvironment + ", then default_environment)"}
}

// lookup is where config resolution looks besides the flags.
func (e env) lookup() config.Lookup {
	l := config.Lookup{Getenv: e.getenv}
	if wd, err := os.Getwd(); err == nil {
		l.WorkDir = wd
	}
	if d := e.getenv("XDG_CONFIG_HOME"); d != "" {
		l.UserConfigDir = d
	} else if h := e.getenv("HOME"); h != "" {
		l.UserConfigDir = filepath.Join(h, ".config")
	}
	return l
}

// loadConfig finds and loads the config file named by --config (or its
// fallbacks).
func loadConfig(c *cli.Context, e env) (*config.Config, error) {
	path, _, err := config.FindFile(c.String("config"), e.lookup())
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadFile(path, builtinDrivers())
	if err != nil {
		return nil, err
	}
	warnIdentityFiles(e, cfg)
	return cfg, nil
}

// selectEnvironment loads the config and returns the environment chosen by
// --env (or its fallbacks) and its executor.
func selectEnvironment(c *cli.Context, e env) (*config.Config, config.Environment, config.Executor, error) {
	cfg, err := loadConfig(c, e)
	if err != nil {
		return nil, config.Environment{}, config.Executor{}, err
	}
	envr, _, err := cfg.Select(c.String("env"), e.lookup())
	if err != nil {
		return nil, config.Environment{}, config.Executor{}, err
	}
	ex, err := cfg.ExecutorOf(envr)
	if err != nil {
		return nil, config.Environment{}, config.Executor{}, err
	}
	return cfg, envr, ex, nil
}

// newLogger is the CLI's log on stderr (level from $CANIC_BACKUP_LOG).
func newLogger(e env) hclog.Logger {
	// Off by default: every failure the user must see is in the command's
	// error (executor name, exit status, digests); the plugin machinery's
	// own chatter would only bury it.
	level := hclog.Off
	if v := e.getenv(envLogLevel); v != "" {
		if l := hclog.LevelFromString(v); l != hclog.NoLevel {
			level = l
		}
	}
	return hclog.New(&hclog.LoggerOptions{Name: "canic-backup", Level: level, Output: e.stderr})
}

// executorClient returns the plugin client of ex; the process starts on
// first use. A built-in driver runs as this binary re-executed with the
// hidden plugin-serve command; a "plugin" runs the configured executable.
func executorClient(e env, ex config.Executor) (*pluginapi.Client, error) {
	cc := pluginapi.ClientConfig{Name: ex.Name, Logger: newLogger(e)}
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
	self, err := e.self()
	if err != nil {
		return nil, fmt.Errorf("executor %q: locate the canic-backup binary to serve driver %s: %w", ex.Name, ex.Driver, err)
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(ex.Settings); err != nil {
		return nil, fmt.Errorf("executor %q: encode %s settings: %w", ex.Name, ex.Driver, err)
	}
	cmd := exec.Command(self, pluginServeCommandName, "--driver", ex.Driver, "--name", ex.Name)
	cmd.Env = []string{envDriverSettings + "=" + buf.String(), "GOMEMLIMIT=" + driverMemoryLimit(e)}
	if v := e.getenv(envLogLevel); v != "" {
		cmd.Env = append(cmd.Env, envLogLevel+"="+v)
	}
	cc.Cmd = cmd
	return pluginapi.NewClient(cc)
}

// defaultDriverMemoryLimit is the Go soft memory limit of a built-in
// driver's process. Transfers churn through megabyte-sized responses; the
// limit makes the collector return them promptly instead of letting the
// heap double, which keeps the plugin's resident memory near its live data
// (measured: the 7 x 32 MiB fleet benchmark peaks at about 120 MiB for
// canic-backup and its plugin together with 64 chunk calls in flight).
const defaultDriverMemoryLimit = "64MiB"

// driverMemoryLimit is $GOMEMLIMIT when set, else defaultDriverMemoryLimit.
func driverMemoryLimit(e env) string {
	if v := e.getenv("GOMEMLIMIT"); v != "" {
		return v
	}
	return defaultDriverMemoryLimit
}

// self returns the canic-backup binary that serves built-in drivers.
func (e env) self() (string, error) {
	if e.executable != nil {
		return e.executable()
	}
	return os.Executable()
}

// openEnvironmentExecutor loads the config, selects the environment and
// starts its executor. The caller closes the client.
func openEnvironmentExecutor(c *cli.Context, e env) (config.Environment, *pluginapi.Client, error) {
	_, envr, ex, err := selectEnvironment(c, e)
	if err != nil {
		return config.Environment{}, nil, err
	}
	client, err := startClient(c.Context, e, ex)
	return envr, client, err
}

// startClient builds ex's client and starts its process now, so that a
// bad pin, a protocol mismatch or a missing binary fails before any work.
func startClient(ctx context.Context, e env, ex config.Executor) (*pluginapi.Client, error) {
	client, err := executorClient(e, ex)
	if err != nil {
		return nil, err
	}
	if err := client.Start(ctx); err != nil {
		_ = client.Close()
		return nil, err
	}
	return client, nil
}

// capabilityList renders capabilities for humans.
func capabilityList(caps []string) string {
	if len(caps) == 0 {
		return "-"
	}
	return strings.Join(caps, ",")
}

// warnIdentityFiles warns on stderr about every executor's identity_pem
// that other users can read (group or world bits set): the key is a
// secret. It names the file and its mode, never its contents.
func warnIdentityFiles(e env, cfg *config.Config) {
	seen := map[string]bool{}
	for _, name := range cfg.ExecutorNames() {
		m, err := cfg.Executors[name].SettingsMap()
		if err != nil {
			continue
		}
		path, _ := m["identity_pem"].(string)
		if path == "" || seen[path] {
			continue
		}
		seen[path] = true
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm()&0o077 == 0 {
			continue
		}
		fmt.Fprintf(e.stderr, "warning: %s: executors.%s.identity_pem %s can be read by other users (mode %04o); run `chmod 600 %s`\n",
			cfg.Path, name, path, st.Mode().Perm(), path)
	}
}
