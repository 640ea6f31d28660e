package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/restore/usecase"
)

// restoreCheckBackupName refuses a --backup value that is not one backup
// name (a single key segment).
func restoreCheckBackupName(c *cli.Context, name string) error {
	if !usecase.ValidBackupName(name) {
		return usagef("%s: --backup %q: want a backup name as `backup list --store` prints it", commandName(c), name)
	}
	return nil
}

// restoreStoreWanted reports whether the command names a backup in a store
// (--store, --backup or $CANIC_BACKUP_STORE with --backup).
func restoreStoreWanted(c *cli.Context) bool {
	return c.String("store") != "" || c.String("backup") != ""
}

// openRestoreStore loads the config and opens the store the command names
// as the source of backup name; envName selects the environment whose
// `store` key applies ("" for the config's default, tried only when a
// config file is found).
func openRestoreStore(c *cli.Context, e env, envName, name string) (*usecase.Source, error) {
	path, _, err := config.FindFile(c.String("config"), e.lookup())
	if err != nil {
		return nil, fmt.Errorf("%s --store: %w", commandName(c), err)
	}
	cfg, err := config.LoadFile(path, builtinDrivers())
	if err != nil {
		return nil, err
	}
	var envr *config.Environment
	if envName != "" {
		sel, _, err := cfg.Select(envName, e.lookup())
		if err != nil {
			return nil, err
		}
		envr = &sel
	}
	sc, err := selectStore(c, e, cfg, envr)
	if err != nil {
		return nil, err
	}
	if sc == nil {
		return nil, usagef("%s: --backup %s names a backup in a store, but no store is named (--store NAME, $%s or the environment's store)",
			commandName(c), c.String("backup"), envStore)
	}
	return &usecase.Source{Store: sc.Store, StoreName: sc.Name, StoreDir: sc.Dir(), Backup: name}, nil
}

// restoreSourceOf resolves --store/--backup/--backup-dir of `restore plan`
// and `restore apply`: nil when the command names no store, else the store,
// the backup and the local directory: a dir store's <path>/<backup>, or
// --backup-dir, or the default fetch directory.
func restoreSourceOf(c *cli.Context, e env) (*usecase.Source, error) {
	if !restoreStoreWanted(c) {
		return nil, nil
	}
	name := c.String("backup")
	if name == "" {
		return nil, usagef("%s: --store needs --backup NAME (the backup in the store, as `backup list --store` prints it)", commandName(c))
	}
	if err := restoreCheckBackupName(c, name); err != nil {
		return nil, err
	}
	src, err := openRestoreStore(c, e, "", name)
	if err != nil {
		return nil, err
	}
	src.Dir = c.String("backup-dir")
	if src.Dir == "" && !src.Remote() {
		src.Dir = filepath.Join(src.StoreDir, name)
	} else if src.Dir == "" {
		base, err := userCacheDir(e)
		if err != nil {
			return nil, fmt.Errorf("cannot choose a fetch directory for backup %s of store %s: %w; pass --backup-dir DIR", name, src.StoreName, err)
		}
		src.Dir = usecase.FetchDir(base, src.StoreName, name)
	}
	return src, nil
}

// restoreRunSource is `restore run --store`'s source: the store the
// journal's artifacts are streamed from, the backup defaulting to
// backup_root's base name (nil when no store is named).
func restoreRunSource(c *cli.Context, e env) func(context.Context, *restore.Journal) (*usecase.Source, error) {
	if !restoreStoreWanted(c) {
		return nil
	}
	return func(_ context.Context, j *restore.Journal) (*usecase.Source, error) {
		if j.BackupRoot == nil {
			return nil, usagef("%s: --store: journal %s records no backup_root (restore apply ran without --backup-dir or --store), so there is nothing to fetch into",
				commandName(c), c.String("journal"))
		}
		name := c.String("backup")
		if name == "" {
			name = filepath.Base(filepath.Clean(*j.BackupRoot))
		}
		if err := restoreCheckBackupName(c, name); err != nil {
			return nil, err
		}
		return openRestoreStore(c, e, c.String("env"), name)
	}
}
