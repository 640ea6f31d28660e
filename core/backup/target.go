package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/verify"
)

// PublishConcurrency is how many objects a publish uploads at once.
const PublishConcurrency = 4

// Target is a backup run's place in an artifact store: the backup's name,
// its local (staging) directory, the fleet lease the run holds and, for a
// remote store, the artifact sink and the publish at the end.
type Target struct {
	// Store is the opened store; StoreName its [stores.NAME] name.
	Store     store.Store
	StoreName string
	// Remote is true for a store that is not a local directory: the
	// backup is published from Staging when the run completes.
	Remote bool
	// Name is the backup's name in the store.
	Name string
	// Staging is the local backup directory (the staging directory of a
	// remote store's backup, the backup itself in a dir store).
	Staging string
	// CustomStaging is true when Staging is not the default path (it was
	// given with --out or --dir), so resume hints must name it.
	CustomStaging bool
	// KeepLocal keeps the staging directory (artifacts included) after
	// the publish.
	KeepLocal bool

	sink  *archive.ArtifactSink
	lease *archive.FleetLease
	// ctx is the run's context once the lease is held (cancelled when
	// the lease is lost).
	ctx context.Context
}

// IsRemote reports a run whose backup must be published afterwards (false
// for a nil target).
func (t *Target) IsRemote() bool { return t != nil && t.Remote }

// Hold takes the fleet's lease for the run (archive.HoldFleet) and returns
// the run's context, cancelled when the lease is lost. Release it with
// Release.
func (t *Target) Hold(ctx context.Context, fleet string, opts archive.HoldOptions) (context.Context, error) {
	l, runCtx, err := archive.HoldFleet(ctx, t.Store, fleet, opts)
	if err != nil {
		return nil, err
	}
	t.lease, t.ctx = l, runCtx
	return runCtx, nil
}

// Lease is the held fleet lease (nil before Hold).
func (t *Target) Lease() *archive.FleetLease {
	if t == nil {
		return nil
	}
	return t.lease
}

// Release releases the fleet lease (nothing without one).
func (t *Target) Release(ctx context.Context) error { return t.Lease().Release(ctx) }

// Settle adds a lost lease to the run's error.
func (t *Target) Settle(runErr error) error {
	if lost := t.Lease().Lost(); lost != nil {
		return errors.Join(runErr, lost)
	}
	return runErr
}

// ArtifactSink is the runner's sink for the run: with a remote store and
// without KeepLocal each artifact streams from its temp directory into the
// store as soon as it is verified and leaves the disk, so the staging
// directory holds only the artifacts in flight; the publish at the end then
// uploads the documents and the manifest. Nil otherwise (artifacts stay in
// the backup directory, and a remote store's publish uploads them). A
// resume with KeepLocal of a run that already sent artifacts to the store
// (sunk is true, see SunkArtifacts) keeps the sink: those are not local any
// more.
func (t *Target) ArtifactSink(sunk bool) (runner.ArtifactSink, error) {
	if !t.IsRemote() || (t.KeepLocal && !sunk) {
		return nil, nil
	}
	if t.sink == nil {
		s, err := archive.NewArtifactSink(t.Store, t.Name, archive.SinkOptions{Concurrency: PublishConcurrency})
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", t.Store.String(), err)
		}
		t.sink = s
	}
	return t.sink, nil
}

// SunkArtifacts reports whether the backup directory dir has a verified
// artifact that is neither in its temp directory nor at its artifact path
// (a run with a sink sent it to the store).
func SunkArtifacts(dir string) bool {
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
			local, _ = layout.Exists(p)
		}
		if !local && a.TempPath != nil {
			if p, err := l.ResolveTempPath(*a.TempPath); err == nil {
				local, _ = layout.Exists(p)
			}
		}
		if !local {
			return true
		}
	}
	return false
}

// Publish uploads the staging directory to the store (artifact files are
// removed as they are published, unless KeepLocal) and then removes the
// staging directory (unless KeepLocal). ctx is used until the lease is
// held (then the run's context is). A failed publish names the store and
// ends with retry, the command that retries it.
func (t *Target) Publish(ctx context.Context, retry string) (*archive.PublishReport, error) {
	if t.ctx != nil {
		ctx = t.ctx
	}
	rep, err := archive.Publish(ctx, t.Store, t.Name, t.Staging, archive.PublishOptions{
		RemoveLocal: !t.KeepLocal, Concurrency: PublishConcurrency,
	})
	if err == nil {
		rep, err = t.withSunk(ctx, rep)
	}
	if err != nil {
		return nil, fmt.Errorf("publish backup %s from %s to store %s: %w\nrun `%s` to retry the publish",
			t.Name, t.Staging, t.Store.String(), errors.Join(err, t.Lease().Lost()), retry)
	}
	if err := t.sweepStaging(ctx); err != nil {
		return rep, err
	}
	if !t.KeepLocal {
		if err := os.RemoveAll(t.Staging); err != nil {
			return rep, fmt.Errorf("backup %s is published to %s, but removing its staging directory failed: %w", t.Name, t.Store.String(), err)
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
func (t *Target) sweepStaging(ctx context.Context) error {
	a, ok := t.Store.(archive.StaleAborter)
	if !ok {
		return nil
	}
	_, err := a.AbortStaleExcept(ctx, time.Now().Add(time.Hour), func(key string) bool {
		return !strings.HasPrefix(key, t.Name+"/")
	})
	if err != nil {
		return fmt.Errorf("backup %s is published to %s, but removing the leftovers of interrupted uploads failed "+
			"(they cost storage only; `canic-backup backup prune --store %s --keep-last N --stale 24h` removes them later): %w",
			t.Name, t.Store.String(), t.StoreName, err)
	}
	return nil
}

// withSunk completes the report of a publish: Objects and Bytes are the
// whole backup in the store (listed, so artifacts a sink sent, in this
// process or an earlier one, count); after a run with a sink in this
// process the counts and bytes sent add what the sink sent, and the time
// runs from the sink's first upload (which overlapped the downloads) to
// the end of the publish.
func (t *Target) withSunk(ctx context.Context, rep *archive.PublishReport) (*archive.PublishReport, error) {
	objs, err := archive.ListObjects(ctx, t.Store, t.Name)
	if err != nil {
		return nil, err
	}
	out := *rep
	out.Objects, out.Bytes = len(objs), 0
	for _, o := range objs {
		out.Bytes += o.Size
	}
	if t.sink != nil {
		sunk := t.sink.Report()
		out.Uploaded += sunk.Uploaded
		out.Skipped += sunk.Skipped
		out.UploadedBytes += sunk.UploadedBytes
		out.Duration = max(out.Duration, sunk.Duration)
	}
	return &out, nil
}
