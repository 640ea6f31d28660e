package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Lookup is where FindFile and Select look besides their flag: the process
// environment and the default locations.
type Lookup struct {
	// Getenv reads an environment variable; nil reads none.
	Getenv func(string) string
	// WorkDir is the directory ./canic.toml is looked for in ("." when
	// empty).
	WorkDir string
	// UserConfigDir is the user's config directory (os.UserConfigDir);
	// empty skips it.
	UserConfigDir string
}

func (l Lookup) getenv(k string) string {
	if l.Getenv == nil {
		return ""
	}
	return l.Getenv(k)
}

// Source says where a setting came from.
type Source string

// The sources of a setting, strongest first.
const (
	SourceFlag    Source = "flag"
	SourceEnv     Source = "environment variable"
	SourceFile    Source = "config file"
	SourceDefault Source = "default"
)

// FindFile returns the config file to load: flag when set, else
// $CANIC_BACKUP_CONFIG, else ./canic.toml if it exists, else
// <user config dir>/canic-backup/canic.toml if it exists. A file named by
// the flag or the variable must exist. The error matches ErrNotFound.
func FindFile(flag string, l Lookup) (string, Source, error) {
	if flag != "" {
		return flag, SourceFlag, mustExist(flag, "--config")
	}
	if v := l.getenv(EnvConfig); v != "" {
		return v, SourceEnv, mustExist(v, "$"+EnvConfig)
	}
	var tried []string
	wd := l.WorkDir
	if wd == "" {
		wd = "."
	}
	candidates := []string{filepath.Join(wd, FileName)}
	if l.UserConfigDir != "" {
		candidates = append(candidates, filepath.Join(l.UserConfigDir, "canic-backup", FileName))
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c, SourceDefault, nil
		}
		tried = append(tried, c)
	}
	return "", SourceDefault, fmt.Errorf("%w: looked for %s; pass --config FILE or set $%s (see canic.toml.example)",
		ErrNotFound, strings.Join(tried, " and "), EnvConfig)
}

func mustExist(path, via string) error {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%w: %s (from %s)", ErrNotFound, path, via)
		}
		return fmt.Errorf("config file %s (from %s): %w", path, via, err)
	}
	return nil
}

// Select returns the environment to use: flag when set, else
// $CANIC_BACKUP_ENV, else the file's default_environment, else the only
// environment when there is exactly one. The error matches
// ErrNoEnvironment and lists the environments.
func (c *Config) Select(flag string, l Lookup) (Environment, Source, error) {
	name, src := flag, SourceFlag
	if name == "" {
		name, src = l.getenv(EnvEnvironment), SourceEnv
	}
	if name == "" {
		name, src = c.DefaultEnvironment, SourceFile
	}
	if name == "" && len(c.Environments) == 1 {
		name, src = c.EnvironmentNames()[0], SourceDefault
	}
	have := strings.Join(c.EnvironmentNames(), ", ")
	if have == "" {
		have = "none"
	}
	if name == "" {
		return Environment{}, "", fmt.Errorf("%w selected in %s: pass --env NAME or set $%s (have: %s)",
			ErrNoEnvironment, c.Path, EnvEnvironment, have)
	}
	env, ok := c.Environments[name]
	if !ok {
		return Environment{}, src, fmt.Errorf("%w: %q (from %s) is not defined in %s (have: %s)",
			ErrNoEnvironment, name, src, c.Path, have)
	}
	return env, src, nil
}

// ExecutorOf returns the executor of env.
func (c *Config) ExecutorOf(env Environment) (Executor, error) {
	ex, ok := c.Executors[env.Executor]
	if !ok {
		return Executor{}, &Error{File: c.Path, Line: env.Line, Key: "environments." + env.Name + ".executor",
			Msg: fmt.Sprintf("%q is not an executor", env.Executor)}
	}
	return ex, nil
}

// Match returns the environments whose network and root are the given
// ones (how `backup resume` finds the environment of a plan), sorted by name.
func (c *Config) Match(network, root string) []Environment {
	var out []Environment
	for _, n := range c.EnvironmentNames() {
		e := c.Environments[n]
		if e.Network == network && e.Root == root {
			out = append(out, e)
		}
	}
	return out
}
