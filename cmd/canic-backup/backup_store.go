package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/canic-backup/canic-backup/core/backup"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/verify"
)

// Environment variables of the cross-host fleet lock.
const (
	// envHost overrides os.Hostname() as this host's identity in the lock.
	envHost = "CANIC_BACKUP_HOST"
	// envLockTTL is the lease's time to live (a Go duration, default 2m);
	// the lease is renewed every quarter of it.
	envLockTTL = "CANIC_BACKUP_LOCK_TTL"
)

// keepLocalFlag is --keep-local: keep the staging directory of a remote
// store's backup after it was published.
func keepLocalFlag() cli.Flag {
	return &cli.BoolFlag{Name: "keep-local", Usage: "with a remote store, keep the local staging directory (artifacts included) after publishing"}
}

// stagingPath is the default local staging directory of backup name for
// the remote store storeName: <user cache dir>/canic-backup/staging/<store>/<name>.
func stagingPath(e env, storeName, name string) (string, error) {
	home, err := userCacheDir(e)
	if err != nil {
		return "", fmt.Errorf("staging directory of backup %s for store %s: %w (or pass --out/--dir)", name, storeName, err)
	}
	return filepath.Join(home, "canic-backup", "staging", layout.FileSafe(storeName), name), nil
}

// lockTTL is $CANIC_BACKUP_LOCK_TTL, else archive.DefaultLeaseTTL.
func lockTTL(e env) (time.Duration, error) {
	v := e.getenv(envLockTTL)
	if v == "" {
		return archive.DefaultLeaseTTL, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s = %q: want a positive Go duration such as 2m or 90s", envLockTTL, v)
	}
	return d, nil
}

// lockFleet takes the fleet's lease in the store of sc for purpose and
// keeps it alive (archive.HoldFleet with this host's identity and
// $CANIC_BACKUP_LOCK_TTL; a takeover is logged on stderr). It returns the
// lease, which the caller must release, and a context derived from ctx that
// is cancelled when the lease is lost.
func lockFleet(ctx context.Context, e env, sc *storeChoice, fleet, purpose string) (*archive.FleetLease, context.Context, error) {
	opts, err := holdOptions(e, purpose)
	if err != nil {
		return nil, nil, err
	}
	return archive.HoldFleet(ctx, sc.Store, fleet, opts)
}

// holdOptions are the fleet lease options of this process: the host from
// $CANIC_BACKUP_HOST (else the host name), the TTL from
// $CANIC_BACKUP_LOCK_TTL, takeovers logged on stderr.
func holdOptions(e env, purpose string) (archive.HoldOptions, error) {
	ttl, err := lockTTL(e)
	if err != nil {
		return archive.HoldOptions{}, err
	}
	host := e.getenv(envHost)
	if host == "" {
		host, _ = os.Hostname()
	}
	return archive.HoldOptions{Host: host, Purpose: purpose, TTL: ttl, Log: e.stderr}, nil
}

// storeRun is what a backup run into a store adds to the command: the
// store it was chosen from and the run's place there (backup.Target: the
// lease and, for a remote store, the sink and the publish).
type storeRun struct {
	*backup.Target
	sc *storeChoice
}

// newStoreRun places a backup run in the store sc: out is --out ("" when
// not given) and defaultOut the default backup directory, whose base name
// is the backup's name unless --out names it. A dir store's backup goes to
// <path>/<name> (an explicit --out wins); a remote store's is staged in
// out, else in the default staging directory.
func newStoreRun(e env, sc *storeChoice, out, defaultOut string, keepLocal bool) (*storeRun, error) {
	t := &backup.Target{Store: sc.Store, StoreName: sc.Name, Remote: sc.Remote(), KeepLocal: keepLocal, Staging: out, CustomStaging: out != ""}
	if out != "" {
		t.Name = filepath.Base(filepath.Clean(out))
	} else {
		t.Name = filepath.Base(defaultOut)
	}
	if out == "" {
		if dir := sc.Dir(); dir != "" {
			t.Staging = filepath.Join(dir, t.Name)
		} else {
			p, err := stagingPath(e, sc.Name, t.Name)
			if err != nil {
				return nil, err
			}
			t.Staging = p
		}
	}
	if sc.Remote() {
		if err := store.ValidateKey(t.Name + "/" + layout.ManifestFile); err != nil {
			return nil, fmt.Errorf("backup name %q cannot name a backup in store %s: %w", t.Name, sc.Store.String(), err)
		}
	}
	return &storeRun{Target: t, sc: sc}, nil
}

// lockFleet takes the fleet's lease for the run (backup.Target.Hold with
// holdOptions) and returns the run's context.
func (sr *storeRun) lockFleet(ctx context.Context, e env, fleet, purpose string) (context.Context, error) {
	opts, err := holdOptions(e, purpose)
	if err != nil {
		return nil, err
	}
	return sr.Hold(ctx, fleet, opts)
}

// remote reports a run whose backup must be published afterwards.
func (sr *storeRun) remote() bool { return sr != nil && sr.Remote }

// resumeArgs are the arguments of `backup resume` that find this run.
func (sr *storeRun) resumeArgs(dir string) string {
	if !sr.remote() {
		return "--dir " + dir
	}
	s := "--store " + sr.sc.Name + " --backup " + sr.Name
	if sr.CustomStaging {
		s += " --dir " + sr.Staging
	}
	return s
}

// publishEvent is the --json-lines line of a publish, written just before
// the result line: {"type":"published","result":<archive.PublishReport>}.
type publishEvent struct {
	Type   string                 `json:"type"`
	Result *archive.PublishReport `json:"result"`
}

// writePublishedEvent writes the publishEvent line of rep on stdout.
func writePublishedEvent(e env, rep *archive.PublishReport) error {
	return writeJSONLine(e, publishEvent{Type: "published", Result: rep})
}

// retryHint is the resume command that retries the run's publish ("" for
// a run without a store).
func (sr *storeRun) retryHint(c *cli.Context) string {
	if sr == nil {
		return ""
	}
	return resumeCommand(c, sr.resumeArgs(sr.Staging))
}

// publishedLine is `published NAME to STORE (N objects, X.X MiB in Y.Ys,
// Z.Z MiB/s)`: N objects of the backup in the store, X MiB sent by this
// command (less than the backup's size when a resumed publish found
// objects already there) in Y seconds (with artifacts streamed during the
// run: from the first artifact upload to the end of the publish).
func publishedLine(rep *archive.PublishReport, storeName string) string {
	const mib = 1 << 20
	secs := rep.Duration.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(rep.UploadedBytes) / mib / secs
	}
	return fmt.Sprintf("published %s to %s (%d objects, %.1f MiB in %.1fs, %.1f MiB/s)",
		rep.Name, storeName, rep.Objects, float64(rep.UploadedBytes)/mib, secs, rate)
}

// resumeCommand is `canic-backup backup resume ARGS` with the command's
// --config and --env.
func resumeCommand(c *cli.Context, args string) string {
	cmd := "canic-backup backup resume " + args
	if f := c.String("config"); f != "" {
		cmd += " --config " + f
	}
	if v := c.String("env"); v != "" {
		cmd += " --env " + v
	}
	return cmd
}

// recoverCommand is the `backup recover` command line for the run that
// resumeArgs names, with its --config and --env.
func recoverCommand(c *cli.Context, args string) string {
	return strings.Replace(resumeCommand(c, args), "canic-backup backup resume ", "canic-backup backup recover ", 1)
}

// settle adds a lost lease to the run's error.
func (sr *storeRun) settle(runErr error) error {
	if sr == nil {
		return runErr
	}
	return sr.Settle(runErr)
}

// resumeStoreRun finds the run `backup resume --store/--backup` names: the
// staging directory of a remote store's backup (--dir, else the default
// staging path), or <path>/<name> of a dir store. done is true when there
// is nothing left to do: the staging directory is gone and the store has
// the backup's manifest (the line saying so is printed).
func resumeStoreRun(c *cli.Context, e env, cfg *config.Config) (done bool, sr *storeRun, err error) {
	sc, err := selectStore(c, e, cfg, nil)
	if err != nil {
		return false, nil, err
	}
	if sc == nil {
		return false, nil, usagef("%s: --backup names a backup in a store: pass --store NAME (or set $%s)", commandName(c), envStore)
	}
	name, dir := c.String("backup"), c.String("dir")
	if name == "" {
		if dir == "" {
			return false, nil, usagef("%s: name the backup with --backup NAME (or its staging directory with --dir DIR)", commandName(c))
		}
		name = filepath.Base(filepath.Clean(dir))
	}
	if name != filepath.Base(name) || name == "." || name == ".." {
		return false, nil, usagef("%s: --backup %q: a backup name is one path segment (as `backup list --store` prints it)", commandName(c), name)
	}
	sr, err = newStoreRun(e, sc, dir, name, c.Bool("keep-local"))
	if err != nil {
		return false, nil, err
	}
	if !sc.Remote() {
		return false, sr, nil
	}
	there, err := fileExists(sr.Staging)
	if err != nil || there {
		return false, sr, err
	}
	key := sr.Name + "/" + layout.ManifestFile
	_, err = sc.Store.Stat(c.Context, key)
	switch {
	case err == nil:
		if c.Bool(flagJSONLines) {
			return true, nil, writeJSONLine(e, map[string]string{"type": "already_published", "name": sr.Name, "store": sc.Store.String()})
		}
		fmt.Fprintf(e.stdout, "backup %s is already published to %s (its staging directory %s is gone)\n", sr.Name, sc.Store.String(), sr.Staging)
		return true, nil, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil, fmt.Errorf("backup %s: its staging directory %s is missing and store %s has no manifest %q, so it was never published: "+
			"resume it on the host that ran it (a cross-host resume of an unfinished run needs that host's staging directory; pass it with --dir)",
			sr.Name, sr.Staging, sc.Store.String(), key)
	default:
		return false, nil, fmt.Errorf("backup %s: its staging directory %s is missing; check the store: %w", sr.Name, sr.Staging, err)
	}
}

// publishOnly renders the publish of a run that was complete in its
// staging directory (a resume after the run finished but the publish did
// not).
func publishOnly(c *cli.Context, e env, sr *storeRun, rep *archive.PublishReport, err error) error {
	if rep != nil {
		if c.Bool(flagJSONLines) {
			err = errors.Join(err, writePublishedEvent(e, rep))
		} else {
			fmt.Fprintln(e.stdout, publishedLine(rep, sr.sc.Store.String()))
		}
	}
	return err
}

// writeJSONLine writes v as one compact JSON line on stdout.
func writeJSONLine(e env, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode JSON line: %w", err)
	}
	_, err = e.stdout.Write(append(b, '\n'))
	return err
}

// verifyInStore is `backup verify --store NAME --backup NAME`: a remote
// store's backup is verified by streaming (archive.Verify), a dir store's
// as the directory <path>/<name>. done is false when no store is named and
// --dir was given (the directory verify applies).
func verifyInStore(c *cli.Context, e env, dir string) (done bool, err error) {
	if dir == "" && c.String("store") == "" && c.String("backup") == "" && e.getenv(envStore) == "" {
		return false, nil
	}
	cfg, err := loadConfig(c, e)
	if err != nil {
		return false, err
	}
	sc, err := selectStore(c, e, cfg, nil)
	if err != nil {
		return false, err
	}
	if sc == nil {
		if c.String("backup") != "" {
			return false, usagef("%s: --backup names a backup in a store: pass --store NAME (or set $%s)", commandName(c), envStore)
		}
		return false, nil
	}
	name, err := requireFlag(c, "backup")
	if err != nil {
		return false, err
	}
	if name != filepath.Base(name) || name == "." || name == ".." {
		return false, usagef("%s: --backup %q: a backup name is one path segment (as `backup list --store` prints it)", commandName(c), name)
	}
	if !sc.Remote() {
		return true, verifyDirCommand(c, e, filepath.Join(sc.Dir(), name))
	}
	report, err := archive.Verify(c.Context, sc.Store, name, archive.VerifyOptions{SamplePercent: c.Float64("sample"), Seed: c.Int64("seed")})
	if errors.Is(err, verify.ErrVerification) || errors.Is(err, archive.ErrIncomplete) {
		return true, verifyFailed(err)
	}
	if err != nil {
		return true, fmt.Errorf("verify backup %s in store %s: %w", name, sc.Store.String(), err)
	}
	if c.Bool("json") {
		return true, writeJSON(e.stdout, report)
	}
	fmt.Fprintf(e.stdout, "backup %s verified: %d members, %d durable artifacts\n",
		report.BackupID, report.ManifestMembers, report.DurableArtifacts)
	for _, a := range report.Artifacts {
		fmt.Fprintf(e.stdout, "  %s  %s  %s\n", a.CanisterID, a.Checksum, a.ArtifactPath)
	}
	fmt.Fprintf(e.stdout, "sampled %d of %d artifacts (seed %d)\n", report.Sampled, report.Total, report.Seed)
	return true, nil
}
