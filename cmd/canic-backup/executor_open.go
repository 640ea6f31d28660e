package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/pluginapi"
	"github.com/canic-backup/canic-backup/pluginapi/host"
)

// pluginServeCommandName is the hidden command serving a built-in driver.
const pluginServeCommandName = host.ServeCommandName

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

// launcher starts executors for this process.
func (e env) launcher() host.Launcher {
	return host.Launcher{Getenv: e.getenv, Stderr: e.stderr, Self: e.executable}
}

// executorClient returns the plugin client of ex; the process starts on
// first use (host.Launcher.Client).
func executorClient(e env, ex config.Executor) (*pluginapi.Client, error) {
	return e.launcher().Client(ex)
}

// startClient builds ex's client and starts its process now, so that a
// bad pin, a protocol mismatch or a missing binary fails before any work.
func startClient(ctx context.Context, e env, ex config.Executor) (*pluginapi.Client, error) {
	return e.launcher().Start(ctx, ex)
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
