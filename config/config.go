package config

import (
	"sort"
	"time"

	"github.com/canic-backup/canic-backup/core/store"
)

// Version is the only config file version this package reads.
const Version = 1

// FileName is the config file's default name.
const FileName = "canic.toml"

// Environment variables consulted when a flag is not given.
const (
	// EnvConfig names the config file (after --config).
	EnvConfig = "CANIC_BACKUP_CONFIG"
	// EnvEnvironment names the environment (after --env).
	EnvEnvironment = "CANIC_BACKUP_ENV"
)

// Driver names an executor implementation.
type Driver = string

// The drivers. DriverPlugin is an external executable; the others are built
// into canic-backup (and still run as a plugin process).
const (
	DriverDFX    Driver = "dfx"
	DriverAgent  Driver = "agent"
	DriverPlugin Driver = "plugin"
)

// Config is a loaded, validated canic.toml.
type Config struct {
	// Path is the file it was loaded from.
	Path string
	// Version is the file's version (always Version).
	Version int
	// DefaultEnvironment is used when neither --env nor CANIC_BACKUP_ENV
	// names one; empty when unset.
	DefaultEnvironment string
	// Environments by name.
	Environments map[string]Environment
	// Executors by name.
	Executors map[string]Executor
	// Stores are the [stores.NAME] tables: artifact stores by name,
	// validated, a "dir" store's relative path resolved against the config
	// file's directory. Never nil after Load.
	Stores map[string]store.Settings
	// StoreLines are the lines of the [stores.NAME] headers.
	StoreLines map[string]int
}

// Environment is one [environments.NAME] table: a fleet on a network and
// the executor that reaches it.
type Environment struct {
	// Name is the table's name.
	Name string
	// Network is the network name recorded in plans and passed to the
	// executor with every target ("local" when unset).
	Network string
	// Root is the fleet's root canister.
	Root string
	// Executor names an [executors.NAME] table.
	Executor string
	// Fleet names plans and default output directories (default: Name).
	Fleet string
	// Store names a [stores.NAME] table backups of this environment go to
	// ("" for none: local directories).
	Store string
	// Line is the line of the table's header.
	Line int
}

// Executor is one [executors.NAME] table.
type Executor struct {
	// Name is the table's name.
	Name string
	// Driver is "dfx", "agent" or "plugin".
	Driver Driver
	// Plugin holds the settings of the "plugin" driver; nil otherwise.
	Plugin *PluginSettings
	// Settings is the built-in driver's decoded settings: the pointer
	// Drivers[Driver].NewSettings returned; nil for "plugin".
	Settings any
	// Line is the line of the table's header.
	Line int
}

// PluginSettings are the keys of an executor with driver = "plugin".
type PluginSettings struct {
	// Path is the plugin executable (relative paths are resolved against
	// the config file's directory).
	Path string `toml:"path"`
	// SHA256 pins the executable's lowercase hex sha256; empty means not
	// pinned.
	SHA256 string `toml:"sha256"`
	// Args are extra command-line arguments.
	Args []string `toml:"args"`
	// Env holds extra environment variables for the plugin process.
	Env map[string]string `toml:"env"`
	// StartTimeout bounds the plugin handshake (default 30s).
	StartTimeout Duration `toml:"start_timeout"`
	// MaxRestarts bounds consecutive restarts of a dying plugin (default 10).
	MaxRestarts int `toml:"max_restarts"`
}

// Duration is a time.Duration written in TOML as a Go duration string,
// e.g. "30s".
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText renders the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// EnvironmentNames returns the environments' names, sorted.
func (c *Config) EnvironmentNames() []string { return sortedKeys(c.Environments) }

// ExecutorNames returns the executors' names, sorted.
func (c *Config) ExecutorNames() []string { return sortedKeys(c.Executors) }

// StoreNames returns the stores' names, sorted.
func (c *Config) StoreNames() []string { return sortedKeys(c.Stores) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// DriverSpec describes a built-in driver's settings to Load.
type DriverSpec struct {
	// NewSettings returns a pointer to a zero settings struct with toml
	// tags; Load decodes the executor's table (minus "driver") into it.
	NewSettings func() any
	// Prepare, when set, resolves relative paths against baseDir (the
	// config file's directory), applies defaults and validates the
	// settings; its error should name the bad key and value.
	Prepare func(settings any, baseDir string) error
}

// Drivers maps a built-in driver name to its spec.
type Drivers map[string]DriverSpec
