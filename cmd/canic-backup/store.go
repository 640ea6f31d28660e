package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/store/stores"
)

// envStore names the artifact store when --store is not given (after it,
// the environment's `store` key).
const envStore = "CANIC_BACKUP_STORE"

// storeFlag is --store NAME, a [stores.NAME] table of the config.
func storeFlag() cli.Flag {
	return &cli.StringFlag{Name: "store", Usage: "artifact store `NAME` from the config's [stores] (env " + envStore + ", then the environment's store)"}
}

// backupFlag is --backup NAME, a backup's name in a store.
func backupFlag() cli.Flag {
	return &cli.StringFlag{Name: "backup", Usage: "backup `NAME` in the store (as `backup list --store` prints it)"}
}

// storeChoice is the artifact store a command works on.
type storeChoice struct {
	// Name is the [stores.NAME] table's name.
	Name string
	// Settings are its settings.
	Settings store.Settings
	// Store is the opened store.
	Store store.Store
}

// Dir is the backups root directory of a "dir" store ("" for a remote
// one): a dir store holds backups exactly as a --root directory does.
func (sc *storeChoice) Dir() string {
	if sc.Settings.Kind == store.KindDir {
		return sc.Settings.Path
	}
	return ""
}

// Remote reports a store that is not a local directory.
func (sc *storeChoice) Remote() bool { return sc.Settings.Kind != store.KindDir }

// URL is where the backup name lives in the store, for messages and the
// Dir column of `backup list`: "s3://bucket/prefix/NAME" or the directory.
func (sc *storeChoice) URL(name string) string {
	if !sc.Remote() {
		return filepath.Join(sc.Settings.Path, name)
	}
	return "s3://" + sc.Settings.Bucket + "/" + sc.Settings.Prefix + name
}

// errUnknownStore is matched when the named store is not a [stores] table.
var errUnknownStore = errors.New("unknown store")

// selectStore returns the artifact store the command names: --store, else
// $CANIC_BACKUP_STORE, else envr's `store` key (envr may be nil for commands
// without an environment, which then also try the config's selected
// environment when a config file is found). It returns nil, nil when none
// is named: the command works on local directories as before. The store is
// opened (S3 credentials from the environment or AWS profile files).
//
// cfg may be nil: the config is then loaded when a store is named (a missing
// config file is an error then) or to find the environment's store (a
// missing config file, or no environment selected without --env, just means
// no store; an invalid config is an error).
func selectStore(c *cli.Context, e env, cfg *config.Config, envr *config.Environment) (*storeChoice, error) {
	name, source := c.String("store"), "--store"
	if name == "" {
		name, source = e.getenv(envStore), "$"+envStore
	}
	if name == "" && envr != nil {
		name, source = envr.Store, "environments."+envr.Name+".store"
	}
	if name == "" && envr == nil {
		if cfg == nil {
			loaded, err := loadConfig(c, e)
			switch {
			case errors.Is(err, config.ErrNotFound) && c.String("config") == "" && e.getenv(config.EnvConfig) == "":
				return nil, nil
			case err != nil:
				return nil, err
			}
			cfg = loaded
		}
		sel, _, err := cfg.Select(c.String("env"), e.lookup())
		switch {
		case errors.Is(err, config.ErrNoEnvironment) && c.String("env") == "" && e.getenv(config.EnvEnvironment) == "":
			return nil, nil
		case err != nil:
			return nil, err
		}
		name, source = sel.Store, "environments."+sel.Name+".store"
	}
	if name == "" {
		return nil, nil
	}
	if cfg == nil {
		loaded, err := loadConfig(c, e)
		if err != nil {
			return nil, fmt.Errorf("store %q (from %s) needs the config file defining [stores.%s]: %w", name, source, name, err)
		}
		cfg = loaded
	}
	settings, ok := cfg.Stores[name]
	if !ok {
		have := strings.Join(cfg.StoreNames(), ", ")
		if have == "" {
			have = "none"
		}
		return nil, fmt.Errorf("%w: %q (from %s) is not a [stores.%s] table in %s (have: %s)",
			errUnknownStore, name, source, name, cfg.Path, have)
	}
	s, err := stores.Open(c.Context, name, settings)
	if err != nil {
		return nil, fmt.Errorf("open store %s (%s): %w", name, settings.Describe(), err)
	}
	return &storeChoice{Name: name, Settings: settings, Store: s}, nil
}

// userCacheDir is the user's cache directory: $XDG_CACHE_HOME, else
// $HOME/.cache. Staging and fetch directories of remote stores live below
// <it>/canic-backup.
func userCacheDir(e env) (string, error) {
	if d := e.getenv("XDG_CACHE_HOME"); d != "" {
		return d, nil
	}
	if h := e.getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache"), nil
	}
	return "", errors.New("no user cache directory: set $XDG_CACHE_HOME or $HOME")
}
