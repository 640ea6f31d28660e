package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/internal/platform"
)

// DefaultLeaseTTL is the fleet lease's time to live when none is given.
const DefaultLeaseTTL = 2 * time.Minute

// releaseTimeout bounds the release of the fleet lease on the way out,
// also after the command's context was cancelled.
const releaseTimeout = 30 * time.Second

// HoldOptions describe the holder of a fleet lease.
type HoldOptions struct {
	// Host is this host's identity (default os.Hostname()).
	Host string
	// Purpose says what the run does (LeasePurpose).
	Purpose string
	// TTL is the lease's time to live (default DefaultLeaseTTL); the lease
	// is renewed every quarter of it.
	TTL time.Duration
	// Log receives the line saying an expired or dead holder's lease was
	// taken over (nil: not written).
	Log io.Writer
}

// FleetLease is a held fleet lease, renewed in the background while the
// run works under it.
type FleetLease struct {
	lease  *store.Lease
	store  string
	key    string
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	lost error
}

// HoldFleet takes the fleet's lease in s and keeps it alive. It returns a
// context derived from ctx that is cancelled when the lease is lost (run
// the work under it), and the lease, which the caller must release. A
// lease held by another live owner is refused with the holder's host, pid,
// start and expiry; an expired one, or one whose holder was a process of
// this host that no longer exists (HolderGone), is taken over and the
// takeover is written to opts.Log.
func HoldFleet(ctx context.Context, s store.Store, fleet string, opts HoldOptions) (*FleetLease, context.Context, error) {
	ttl := opts.TTL
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	host := opts.Host
	if host == "" {
		host, _ = os.Hostname()
	}
	key := FleetLockKey(fleet)
	lease, err := LockFleet(ctx, s, fleet, store.LeaseOptions{Host: host, Purpose: opts.Purpose, TTL: ttl,
		HolderGone: HolderGone(host)})
	if err != nil {
		var held *store.HeldError
		if errors.As(err, &held) {
			return nil, nil, fmt.Errorf("%w\nanother run of fleet %s is using store %s; wait until it ends, or, if host %s is gone, "+
				"run again after its lease expires at %s (the expired lock is then taken over)",
				err, fleet, s.String(), held.Holder.Host, held.Holder.ExpiresAt)
		}
		return nil, nil, fmt.Errorf("store %s: take the lock of fleet %s (%s): %w", s.String(), fleet, key, err)
	}
	if prev := lease.TakenOver(); prev != nil && opts.Log != nil {
		what := "expired lock"
		if exp, err := time.Parse(time.RFC3339Nano, prev.ExpiresAt); err == nil && time.Now().Before(exp) {
			what = "lock of a run that no longer exists"
		}
		fmt.Fprintf(opts.Log, "took over %s %s in %s: held by %s\n", what, key, s.String(), prev)
	}
	runCtx, cancelRun := context.WithCancel(ctx)
	keepCtx, stopKeep := context.WithCancel(ctx)
	l := &FleetLease{lease: lease, store: s.String(), key: key, done: make(chan struct{})}
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

// HolderGone reports a lease holder that was a process of this host and no
// longer exists (a run killed before it could release): its lease is taken
// over at once rather than after its expiry, so `backup resume` right after
// a crash is not refused by the dead run's own lock. A pid that exists
// again (reused) keeps the lease until it expires: the safe direction.
// Host identities must be unique per machine (CANIC_BACKUP_HOST or the
// host name), which containers sharing a host name would break.
func HolderGone(host string) func(store.LeaseRecord) bool {
	return func(r store.LeaseRecord) bool {
		if host == "" || r.Host != host || r.PID <= 0 || r.PID == os.Getpid() {
			return false
		}
		return !platform.ProcessAlive(r.PID)
	}
}

// Lost returns the error of a lost lease (nil while it is held): the work
// done under it must be reported as failed.
func (l *FleetLease) Lost() error {
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
func (l *FleetLease) Release(ctx context.Context) error {
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

// LeasePurpose is the purpose a backup command writes into the fleet
// lease: "backup VERB NAME" (PurposeBackup reads the name back).
func LeasePurpose(verb, name string) string { return "backup " + verb + " " + name }

// PurposeBackup returns the backup a lease purpose names (LeasePurpose).
func PurposeBackup(purpose string) (string, bool) {
	f := strings.Fields(purpose)
	if len(f) != 3 || f[0] != "backup" {
		return "", false
	}
	return f[2], true
}

// LiveBackups returns the backups that live fleet leases in s are working
// on (named by their purpose, "backup create NAME" or "backup resume
// NAME"): prune --stale never deletes those, however old their objects
// look. A lease record that cannot be read is an error: whether a run is
// alive would be unknown.
func LiveBackups(ctx context.Context, s store.Store, now time.Time) (map[string]bool, error) {
	objs, err := s.List(ctx, LocksPrefix)
	if err != nil {
		return nil, fmt.Errorf("list the locks of %s: %w", s, err)
	}
	live := map[string]bool{}
	for _, o := range objs {
		rec, err := store.ReadLease(ctx, s, o.Key)
		if err != nil {
			return nil, fmt.Errorf("read lock %s in %s: %w", o.Key, s, err)
		}
		exp, err := time.Parse(time.RFC3339Nano, rec.ExpiresAt)
		if rec.Released || (err == nil && now.After(exp)) {
			continue
		}
		if name, ok := PurposeBackup(rec.Purpose); ok {
			live[name] = true
		}
	}
	return live, nil
}

// StaleAborter is a store that can abort its unfinished multipart uploads
// and remove leftover staging objects (s3store).
type StaleAborter interface {
	AbortStaleExcept(ctx context.Context, olderThan time.Time, keep func(key string) bool) (int, error)
}

// AbortStaleUploads aborts the unfinished multipart uploads of s started
// before before (0 for a store without them), sparing those of the
// backups live names.
func AbortStaleUploads(ctx context.Context, s store.Store, before time.Time, live map[string]bool) (int, error) {
	a, ok := s.(StaleAborter)
	if !ok {
		return 0, nil
	}
	n, err := a.AbortStaleExcept(ctx, before, func(key string) bool {
		name, _, _ := strings.Cut(key, "/")
		return live[name]
	})
	if err != nil {
		return n, fmt.Errorf("abort the stale multipart uploads of %s: %w", s, err)
	}
	return n, nil
}
