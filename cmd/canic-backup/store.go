package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/core/store"
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

// errNoStoreYet marks the stub below until the config engineer fills it in.
var errNoStoreYet = errors.New("stores are not wired into the config yet")

// selectStore returns the artifact store the command names: --store, else
// $CANIC_BACKUP_STORE, else envr's `store` key (envr may be nil for commands
// without an environment, which then also try the config's selected
// environment when a config file is found). It returns nil, nil when none
// is named: the command works on local directories as before. The store is
// opened (S3 credentials from the environment or AWS profile files).
func selectStore(c *cli.Context, e env, cfg *config.Config, envr *config.Environment) (*storeChoice, error) {
	if c.String("store") == "" && e.getenv(envStore) == "" {
		return nil, nil
	}
	return nil, errNoStoreYet
}
