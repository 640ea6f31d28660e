package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/verify"
)

// restoreSource is where a restore command reads its backup when it names
// one in an artifact store (--store, --backup): the store, the backup's
// name in it, and the local backup directory the command works on (a dir
// store's own directory, or the fetch directory of a remote store).
type restoreSource struct {
	choice *storeChoice
	name   string
	dir    string
}

// remote reports a store whose objects must be fetched into dir.
func (r *restoreSource) remote() bool { return r.choice.Remote() }

// restoreFetchDir is the default local directory a remote backup is
// fetched into: <user cache dir>/canic-backup/fetch/<store>/<backup>.
func restoreFetchDir(e env, storeName, backup string) (string, error) {
	base, err := userCacheDir(e)
	if err != nil {
		return "", fmt.Errorf("cannot choose a fetch directory for backup %s of store %s: %w; pass --backup-dir DIR", backup, storeName, err)
	}
	return filepath.Join(base, "canic-backup", "fetch", layout.FileSafe(storeName), layout.FileSafe(backup)), nil
}

// restoreCheckBackupName refuses a --backup value that is not one backup name (a
// single key segment).
func restoreCheckBackupName(c *cli.Context, name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\") || strings.HasPrefix(name, ".canic-") ||
		strings.HasPrefix(name+"/", archive.LocksPrefix) {
		return usagef("%s: --backup %q: want a backup name as `backup list --store` prints it", commandName(c), name)
	}
	return nil
}

// restoreStoreWanted reports whether the command names a backup in a store
// (--store, --backup or $CANIC_BACKUP_STORE with --backup).
func restoreStoreWanted(c *cli.Context) bool {
	return c.String("store") != "" || c.String("backup") != ""
}

// openRestoreStore loads the config and selects the store the command
// names; envName selects the environment whose `store` key applies ("" for
// the config's default, tried only when a config file is found).
func openRestoreStore(c *cli.Context, e env, envName string) (*storeChoice, error) {
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
	return sc, nil
}

// restoreSourceOf resolves --store/--backup/--backup-dir of `restore plan`
// and `restore apply`: nil when the command names no store (today's
// behaviour), else the store, the backup and the local directory: a dir
// store's <path>/<backup>, or --backup-dir, or the default fetch directory.
func restoreSourceOf(c *cli.Context, e env) (*restoreSource, error) {
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
	sc, err := openRestoreStore(c, e, "")
	if err != nil {
		return nil, err
	}
	src := &restoreSource{choice: sc, name: name, dir: c.String("backup-dir")}
	if src.dir == "" {
		if d := sc.Dir(); d != "" {
			src.dir = filepath.Join(d, name)
		} else if src.dir, err = restoreFetchDir(e, sc.Name, name); err != nil {
			return nil, err
		}
	}
	return src, nil
}

// fetch downloads the backup's documents and the artifacts at paths into
// src.dir and prints the one-line summary to stderr.
func (r *restoreSource) fetch(ctx context.Context, e env, what string, paths []string) error {
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return fmt.Errorf("%s: create fetch directory: %w", what, err)
	}
	start := time.Now()
	rep, err := archive.Fetch(ctx, r.choice.Store, r.name, r.dir, archive.FetchOptions{Artifacts: paths})
	if err != nil {
		err = fmt.Errorf("%s: fetch backup %s from %s into %s: %w", what, r.name, r.choice.Store, r.dir, err)
		if restoreIntegrityError(err) {
			return verifyFailed(err)
		}
		return err
	}
	restorePrintFetched(e, r.choice.Store, rep, time.Since(start))
	if _, err := os.Stat(filepath.Join(r.dir, layout.ManifestFile)); err != nil {
		// Not exit 3: nothing was verified and found bad.
		return fmt.Errorf("%s: backup %s in %s has no %s (not there or incomplete; see `backup list --store %s`): %w",
			what, r.name, r.choice.Store, layout.ManifestFile, r.choice.Name, store.ErrNotFound)
	}
	return nil
}

// restoreIntegrityError reports a fetch that found stored bytes that do not
// match their recorded digest or the manifest's checksum (exit 3).
func restoreIntegrityError(err error) bool {
	var ve *verify.VerificationError
	return errors.Is(err, store.ErrDigestMismatch) || errors.As(err, &ve) || errors.Is(err, archive.ErrIncomplete)
}

// restorePrintFetched writes `fetched K objects (X MiB) from <store> in Ys` to
// stderr (stdout may carry the command's JSON), with how many of them were
// already present locally when some were.
func restorePrintFetched(e env, s store.Store, rep *archive.FetchReport, took time.Duration) {
	if rep == nil {
		return
	}
	line := fmt.Sprintf("fetched %d objects (%.1f MiB) from %s in %s", rep.Objects, float64(rep.Bytes)/(1<<20), s, took.Round(time.Millisecond))
	if kept := rep.Objects - rep.Downloaded; kept > 0 && rep.Downloaded >= 0 {
		line += fmt.Sprintf(" (%d of them already present)", kept)
	}
	fmt.Fprintln(e.stderr, line)
}

// planArtifacts maps the plan's members to the artifact paths the stored
// manifest records for them, refusing a plan of another backup or with a
// member the backup does not hold.
func (r *restoreSource) planArtifacts(ctx context.Context, p *restore.Plan) ([]string, error) {
	data, err := archive.ReadDocument(ctx, r.choice.Store, r.name, layout.ManifestFile)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("backup %s in %s has no %s (incomplete or not there; see `backup list --store %s`): %w",
				r.name, r.choice.Store, layout.ManifestFile, r.choice.Name, err)
		}
		return nil, fmt.Errorf("backup %s in %s: read %s: %w", r.name, r.choice.Store, layout.ManifestFile, err)
	}
	m, err := manifest.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s/%s in %s: %w", r.name, layout.ManifestFile, r.choice.Store, err)
	}
	if m.BackupID != p.BackupID {
		return nil, fmt.Errorf("the plan is for backup_id %q but backup %s in %s has backup_id %q", p.BackupID, r.name, r.choice.Store, m.BackupID)
	}
	paths := map[string]string{}
	for _, mem := range m.Fleet.Members {
		paths[mem.CanisterID] = mem.SourceSnapshot.ArtifactPath
	}
	out := make([]string, 0, len(p.Members))
	for _, mem := range p.Members {
		ap, ok := paths[mem.SourceCanister]
		if !ok {
			return nil, fmt.Errorf("plan member %s (source_canister) is not a member of backup %s in %s", mem.SourceCanister, r.name, r.choice.Store)
		}
		out = append(out, ap)
	}
	return out, nil
}

// restoreSameDir reports whether a and b name the same directory path.
func restoreSameDir(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}
