package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/verify"
	"github.com/canic-backup/canic-backup/internal/platform"
)

// Environment variables of the cross-host fleet lock.
const (
	// envHost overrides os.Hostname() as this host's identity in the lock.
	envHost = "CANIC_BACKUP_HOST"
	// envLockTTL is the lease's time to live (a Go duration, default 2m);
	// the lease is renewed every quarter of it.
	envLockTTL = "CANIC_BACKUP_LOCK_TTL"
)

// defaultLockTTL is the fleet lease's time to live without envLockTTL.
const defaultLockTTL = 2 * time.Minute

// publishConcurrency is how many objects a publish uploads at once.
const publishConcurrency = 4

// releaseTimeout bounds the release of the fleet lease on the way out,
// also after the command's context was cancelled.
const releaseTimeout = 30 * time.Second

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

// lockTTL is $CANIC_BACKUP_LOCK_TTL, else defaultLockTTL.
func lockTTL(e env) (time.Duration, error) {
	v := e.getenv(envLockTTL)
	if v == "" {
		return defaultLockTTL, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s = %q: want a positive Go duration such as 2m or 90s", envLockTTL, v)
	}
	return d, nil
}

// fleetLock is a held fleet lease, renewed in the background while the
// command runs.
type fleetLock struct {
	lease  *store.Lease
	store  string
	key    string
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	lost error
}

// lockFleet takes the fleet's lease in the store of sc for purpose and
// keeps it alive. It returns a context derived from ctx that is cancelled
// when the lease is lost (run the work under it), and the lock, which the
// caller must release. A lease held by another live owner is refused with
// the holder's host, pid, start and expiry; an expired one is taken over
// and the takeover is logged on stderr.
func lockFleet(ctx context.Context, e env, sc *storeChoice, fleet, purpose string) (*fleetLock, context.Context, error) {
	ttl, err := lockTTL(e)
	if err != nil {
		return nil, nil, err
	}
	key := archive.FleetLockKey(fleet)
	host := e.getenv(envHost)
	if host == "" {
		host, _ = os.Hostname()
	}
	lease, err := archive.LockFleet(ctx, sc.Store, fleet, store.LeaseOptions{Host: host, Purpose: purpose, TTL: ttl,
		HolderGone: holderGone(host)})
	if err != nil {
		var held *store.HeldError
		if errors.As(err, &held) {
			return nil, nil, fmt.Errorf("%w\nanother run of fleet %s is using store %s; wait until it ends, or, if host %s is gone, "+
				"run again after its lease expires at %s (the expired lock is then taken over)",
				err, fleet, sc.Store.String(), held.Holder.Host, held.Holder.ExpiresAt)
		}
		return nil, nil, fmt.Errorf("store %s: take the lock of fleet %s (%s): %w", sc.Store.String(), fleet, key, err)
	}
	if prev := lease.TakenOver(); prev != nil {
		what := "expired lock"
		if exp, err := time.Parse(time.RFC3339Nano, prev.ExpiresAt); err == nil && time.Now().Before(exp) {
			what = "lock of a run that no longer exists"
		}
		fmt.Fprintf(e.stderr, "took over %s %s in %s: held by %s\n", what, key, sc.Store.String(), prev)
	}
	runCtx, cancelRun := context.WithCancel(ctx)
	keepCtx, stopKeep := context.WithCancel(ctx)
	l := &fleetLock{lease: lease, store: sc.Store.String(), key: key, done: make(chan struct{})}
	lost := lease.KeepAlive(keepCtx, ttl/4)
	l.cancel = func() { stopKeep(); cancelRun() }
	go func() {
		defer close(l.done)
		if err := <-lost; err != nil {
			l.mu.Lock()
			l.lost = err
			l.mu.Unlock()
			cancelRun()
		}
	}()
	return l, runCtx, nil
}

// holderGone reports a lease holder that was a process of this host and no
// longer exists (a run killed before it could release): its lease is taken
// over at once rather than after its expiry, so `backup resume` right after
// a crash is not refused by the dead run's own lock. A pid that exists
// again (reused) keeps the lease until it expires: the safe direction.
// Host identities must be unique per machine (CANIC_BACKUP_HOST or the
// host name), which containers sharing a host name would break.
func holderGone(host string) func(store.LeaseRecord) bool {
	return func(r store.LeaseRecord) bool {
		if host == "" || r.Host != host || r.PID <= 0 || r.PID == os.Getpid() {
			return false
		}
		return !processAlive(r.PID)
	}
}

// processAlive reports whether pid names a process of this host (one we
// may not signal counts as alive).
func processAlive(pid int) bool { return platform.ProcessAlive(pid) }

// Lost returns the error of a lost lease (nil while it is held): the work
// done under it must be reported as failed.
func (l *fleetLock) Lost() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost == nil {
		return nil
	}
	return fmt.Errorf("lost the fleet lock %s in %s, so the run was stopped: %w", l.key, l.store, l.lost)
}

// Release stops the renewals and releases the lease (also after ctx was
// cancelled). A lease already lost is not an error here: Lost reports it.
func (l *fleetLock) Release(ctx context.Context) error {
	if l == nil {
		return nil
	}
	l.cancel()
	<-l.done
	if l.Lost() != nil {
		return nil
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := l.lease.Release(rctx); err != nil {
		return fmt.Errorf("release the fleet lock %s in %s: %w", l.key, l.store, err)
	}
	return nil
}

// storeRun is what a backup run into a store adds to the command: the
// lease and, for a remote store, the publish of the staging directory.
type storeRun struct {
	sc   *storeChoice
	name string
	// staging is the local backup directory (the staging directory of a
	// remote store's backup, the backup itself in a dir store).
	staging string
	// customStaging is true when staging is not the default path (it was
	// given with --out or --dir), so resume hints must name it.
	customStaging bool
	keepLocal     bool
	// sink is the run's artifact sink (a remote store without
	// --keep-local): artifacts go to the store as they are verified.
	sink *archive.ArtifactSink
	lock *fleetLock
	// ctx is the run's context once the lock is held (cancelled when the
	// lease is lost).
	ctx context.Context
}

// newStoreRun places a backup run in the store sc: out is --out ("" when
// not given) and defaultOut the default backup directory, whose base name
// is the backup's name unless --out names it. A dir store's backup goes to
// <path>/<name> (an explicit --out wins); a remote store's is staged in
// out, else in the default staging directory.
func newStoreRun(e env, sc *storeChoice, out, defaultOut string, keepLocal bool) (*storeRun, error) {
	sr := &storeRun{sc: sc, keepLocal: keepLocal, staging: out, customStaging: out != ""}
	if out != "" {
		sr.name = filepath.Base(filepath.Clean(out))
	} else {
		sr.name = filepath.Base(defaultOut)
	}
	if out == "" {
		if dir := sc.Dir(); dir != "" {
			sr.staging = filepath.Join(dir, sr.name)
		} else {
			p, err := stagingPath(e, sc.Name, sr.name)
			if err != nil {
				return nil, err
			}
			sr.staging = p
		}
	}
	if sc.Remote() {
		if err := store.ValidateKey(sr.name + "/" + layout.ManifestFile); err != nil {
			return nil, fmt.Errorf("backup name %q cannot name a backup in store %s: %w", sr.name, sc.Store.String(), err)
		}
	}
	return sr, nil
}

// lockFleet takes the fleet's lease for the run (see lockFleet) and
// returns the run's context.
func (sr *storeRun) lockFleet(ctx context.Context, e env, fleet, purpose string) (context.Context, error) {
	l, runCtx, err := lockFleet(ctx, e, sr.sc, fleet, purpose)
	if err != nil {
		return nil, err
	}
	sr.lock, sr.ctx = l, runCtx
	return runCtx, nil
}

// remote reports a run whose backup must be published afterwards.
func (sr *storeRun) remote() bool { return sr != nil && sr.sc.Remote() }

// artifactSink is the runner's sink for the run: with a remote store and
// without --keep-local each artifact streams from its temp directory into
// the store as soon as it is verified and leaves the disk, so the staging
// directory holds only the artifacts in flight; the publish at the end
// then uploads the documents and the manifest. Nil otherwise (artifacts
// stay in the backup directory, and a remote store's publish uploads
// them). A resume with --keep-local of a run that already sent artifacts
// to the store (sunk is true) keeps the sink: those are not local any more.
func (sr *storeRun) artifactSink(sunk bool) (runner.ArtifactSink, error) {
	if !sr.remote() || (sr.keepLocal && !sunk) {
		return nil, nil
	}
	if sr.sink == nil {
		s, err := archive.NewArtifactSink(sr.sc.Store, sr.name, archive.SinkOptions{Concurrency: publishConcurrency})
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", sr.sc.Store.String(), err)
		}
		sr.sink = s
	}
	return sr.sink, nil
}

// sunkArtifacts reports whether the backup directory dir has a verified
// artifact that is neither in its temp directory nor at its artifact path
// (a run with a sink sent it to the store).
func sunkArtifacts(dir string) bool {
	dj, err := verify.ReadDownloadJournal(dir)
	if err != nil {
		return false
	}
	l := layout.New(dir)
	for _, a := range dj.Artifacts {
		if a.State != journal.ArtifactChecksumVerified && a.State != journal.ArtifactDurable {
			continue
		}
		local := false
		if p, err := l.Resolve(a.ArtifactPath); err == nil {
			local, _ = fileExists(p)
		}
		if !local && a.TempPath != nil {
			if p, err := l.ResolveTempPath(*a.TempPath); err == nil {
				local, _ = fileExists(p)
			}
		}
		if !local {
			return true
		}
	}
	return false
}

// resumeArgs are the arguments of `backup resume` that find this run.
func (sr *storeRun) resumeArgs(dir string) string {
	if !sr.remote() {
		return "--dir " + dir
	}
	s := "--store " + sr.sc.Name + " --backup " + sr.name
	if sr.customStaging {
		s += " --dir " + sr.staging
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

// publish uploads the staging directory to the store (artifact files are
// removed as they are published, unless --keep-local) and then removes the
// staging directory (unless --keep-local). A failure names the store and
// the resume command that retries it.
func (sr *storeRun) publish(c *cli.Context) (*archive.PublishReport, error) {
	ctx := sr.ctx
	if ctx == nil {
		ctx = c.Context
	}
	rep, err := archive.Publish(ctx, sr.sc.Store, sr.name, sr.staging, archive.PublishOptions{
		RemoveLocal: !sr.keepLocal, Concurrency: publishConcurrency,
	})
	if err == nil {
		rep, err = sr.withSunk(ctx, rep)
	}
	if err != nil {
		return nil, fmt.Errorf("publish backup %s from %s to store %s: %w\nrun `%s` to retry the publish",
			sr.name, sr.staging, sr.sc.Store.String(), errors.Join(err, sr.lock.Lost()), resumeCommand(c, sr.resumeArgs(sr.staging)))
	}
	if err := sr.sweepStaging(ctx); err != nil {
		return rep, err
	}
	if !sr.keepLocal {
		if err := os.RemoveAll(sr.staging); err != nil {
			return rep, fmt.Errorf("backup %s is published to %s, but removing its staging directory failed: %w", sr.name, sr.sc.Store.String(), err)
		}
	}
	return rep, nil
}

// sweepStaging removes what earlier, killed attempts of this backup left
// in the store's own bookkeeping: unfinished multipart uploads and finished
// staging objects (a Put killed between its publishing copy and its
// cleanup). Once the manifest is published under the fleet lease, no Put of
// this backup is running, so everything of it there is garbage; other
// backups' entries are never touched.
func (sr *storeRun) sweepStaging(ctx context.Context) error {
	a, ok := sr.sc.Store.(staleAborter)
	if !ok {
		return nil
	}
	_, err := a.AbortStaleExcept(ctx, time.Now().Add(time.Hour), func(key string) bool {
		return !strings.HasPrefix(key, sr.name+"/")
	})
	if err != nil {
		return fmt.Errorf("backup %s is published to %s, but removing the leftovers of interrupted uploads failed "+
			"(they cost storage only; `canic-backup backup prune --store %s --keep-last N --stale 24h` removes them later): %w",
			sr.name, sr.sc.Store.String(), sr.sc.Name, err)
	}
	return nil
}

// withSunk completes the report of a publish: Objects and Bytes are the
// whole backup in the store (listed, so artifacts a sink sent, in this
// process or an earlier one, count); after a run with a sink in this
// process the counts and bytes sent add what the sink sent, and the time
// runs from the sink's first upload (which overlapped the downloads) to
// the end of the publish.
func (sr *storeRun) withSunk(ctx context.Context, rep *archive.PublishReport) (*archive.PublishReport, error) {
	objs, err := archive.ListObjects(ctx, sr.sc.Store, sr.name)
	if err != nil {
		return nil, err
	}
	out := *rep
	out.Objects, out.Bytes = len(objs), 0
	for _, o := range objs {
		out.Bytes += o.Size
	}
	if sr.sink != nil {
		sunk := sr.sink.Report()
		out.Uploaded += sunk.Uploaded
		out.Skipped += sunk.Skipped
		out.UploadedBytes += sunk.UploadedBytes
		out.Duration = max(out.Duration, sunk.Duration)
	}
	return &out, nil
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
	if lost := sr.lock.Lost(); lost != nil {
		return errors.Join(runErr, lost)
	}
	return runErr
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
	there, err := fileExists(sr.staging)
	if err != nil || there {
		return false, sr, err
	}
	key := sr.name + "/" + layout.ManifestFile
	_, err = sc.Store.Stat(c.Context, key)
	switch {
	case err == nil:
		if c.Bool(flagJSONLines) {
			return true, nil, writeJSONLine(e, map[string]string{"type": "already_published", "name": sr.name, "store": sc.Store.String()})
		}
		fmt.Fprintf(e.stdout, "backup %s is already published to %s (its staging directory %s is gone)\n", sr.name, sc.Store.String(), sr.staging)
		return true, nil, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil, fmt.Errorf("backup %s: its staging directory %s is missing and store %s has no manifest %q, so it was never published: "+
			"resume it on the host that ran it (a cross-host resume of an unfinished run needs that host's staging directory; pass it with --dir)",
			sr.name, sr.staging, sc.Store.String(), key)
	default:
		return false, nil, fmt.Errorf("backup %s: its staging directory %s is missing; check the store: %w", sr.name, sr.staging, err)
	}
}

// publishOnly publishes a run that is complete in its staging directory
// (a resume after the run finished but the publish did not).
func publishOnly(c *cli.Context, e env, sr *storeRun) error {
	rep, err := sr.publish(c)
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
