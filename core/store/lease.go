package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/canic-backup/canic-backup/core/wire"
)

// LeaseRecord is the JSON document of a lease lock object.
type LeaseRecord struct {
	// Owner is a random token unique to one acquisition.
	Owner string `json:"owner"`
	// Host is the holder's host identity.
	Host string `json:"host"`
	// PID is the holder's process id.
	PID int `json:"pid"`
	// Purpose says what the holder is doing.
	Purpose string `json:"purpose"`
	// StartedAt is when the holder acquired the lease (RFC 3339, UTC).
	StartedAt string `json:"started_at"`
	// RenewedAt is the last renewal (RFC 3339, UTC).
	RenewedAt string `json:"renewed_at"`
	// ExpiresAt is when the lease lapses unless renewed (RFC 3339, UTC).
	ExpiresAt string `json:"expires_at"`
	// Released is true once the holder let go.
	Released bool `json:"released"`
}

// String describes the holder: `host h pid 42 since T (lease expires at E)`.
func (r LeaseRecord) String() string {
	s := fmt.Sprintf("host %s pid %d since %s", r.Host, r.PID, r.StartedAt)
	if r.Purpose != "" {
		s += fmt.Sprintf(" (%s)", r.Purpose)
	}
	return s + fmt.Sprintf(", lease expires at %s", r.ExpiresAt)
}

func (r LeaseRecord) expires() (time.Time, error) {
	return time.Parse(time.RFC3339Nano, r.ExpiresAt)
}

// HeldError says a live lease is held by someone else; it matches ErrLocked.
type HeldError struct {
	// Store and Key locate the lock object.
	Store, Key string
	// Holder is the current holder's record.
	Holder LeaseRecord
}

// Error names the lock, the holder's host, pid, start and expiry.
func (e *HeldError) Error() string {
	return fmt.Sprintf("lock %s %q is held by %s", e.Store, e.Key, e.Holder)
}

// Is matches ErrLocked.
func (e *HeldError) Is(target error) bool { return target == ErrLocked }

// LeaseOptions describe the acquirer.
type LeaseOptions struct {
	// Host is this host's identity (default os.Hostname()).
	Host string
	// PID is this process (default os.Getpid()).
	PID int
	// Purpose says what the lock protects, for the refusal message.
	Purpose string
	// TTL is how long the lease lasts without renewal (default 2 minutes).
	TTL time.Duration
	// Skew is the clock difference between hosts tolerated: an expired
	// lease is taken over only Skew after its ExpiresAt (default 0).
	Skew time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// HolderGone, when set, reports a live-looking holder known to be gone
	// (typically a process of this very host that no longer exists, killed
	// before it could release); its lease is taken over at once instead of
	// after its expiry, and reported by TakenOver like an expired one.
	HolderGone func(LeaseRecord) bool
}

func (o LeaseOptions) withDefaults() LeaseOptions {
	if o.Host == "" {
		o.Host, _ = os.Hostname()
	}
	if o.PID == 0 {
		o.PID = os.Getpid()
	}
	if o.TTL <= 0 {
		o.TTL = 2 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Lease is a held lease lock. Its methods are safe for concurrent use.
type Lease struct {
	store Store
	key   string
	opts  LeaseOptions

	mu        sync.Mutex
	rec       LeaseRecord
	etag      string
	takenOver *LeaseRecord
	lost      bool
}

// AcquireLease takes the lease lock at key in s. The lock object is created
// with a conditional create; a present record that is released, or whose
// lease expired (by more than opts.Skew) or whose holder opts.HolderGone
// reports gone, is replaced by compare-and-swap on
// its ETag, and the replaced record is reported by TakenOver. A live record
// of another owner yields a *HeldError (errors.Is ErrLocked) naming its
// host, pid, start time and expiry.
func AcquireLease(ctx context.Context, s Store, key string, opts LeaseOptions) (*Lease, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	token := make([]byte, 16)
	if _, err := rand.Read(token); err != nil {
		return nil, fmt.Errorf("lease token: %w", err)
	}
	now := opts.Now().UTC()
	l := &Lease{store: s, key: key, opts: opts, rec: LeaseRecord{
		Owner:     hex.EncodeToString(token),
		Host:      opts.Host,
		PID:       opts.PID,
		Purpose:   opts.Purpose,
		StartedAt: now.Format(time.RFC3339Nano),
	}}
	// Two rounds: a create that loses to a concurrent creator reads the
	// winner's record once more (it may already be released).
	for attempt := 0; attempt < 2; attempt++ {
		cur, etag, err := readLease(ctx, s, key)
		switch {
		case errors.Is(err, ErrNotFound):
			err = l.write(ctx, PutOptions{IfAbsent: true})
			if errors.Is(err, ErrExists) {
				continue
			}
			return l, err
		case err != nil:
			return nil, err
		}
		exp, perr := cur.expires()
		if perr != nil && !cur.Released {
			return nil, fmt.Errorf("lease lock %s %q: field expires_at = %q: %w", s.String(), key, cur.ExpiresAt, perr)
		}
		live := !cur.Released && !opts.Now().After(exp.Add(opts.Skew))
		if live && opts.HolderGone != nil && opts.HolderGone(cur) {
			live = false
		}
		if live {
			return nil, &HeldError{Store: s.String(), Key: key, Holder: cur}
		}
		err = l.write(ctx, PutOptions{IfMatch: etag})
		if errors.Is(err, ErrPreconditionFailed) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !cur.Released {
			prev := cur
			l.takenOver = &prev
		}
		return l, nil
	}
	cur, _, err := readLease(ctx, s, key)
	if err != nil {
		return nil, err
	}
	return nil, &HeldError{Store: s.String(), Key: key, Holder: cur}
}

// ReadLease reads and decodes the lease record at key, checking the
// object's digest when the store reports one: the one reader of lease
// records for those that only look (prune's live-lease listing).
func ReadLease(ctx context.Context, s Store, key string) (LeaseRecord, error) {
	obj, err := s.Get(ctx, key)
	if err != nil {
		return LeaseRecord{}, err
	}
	defer obj.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(NewVerifyingReader(obj.Body, key, obj.Info.SHA256)); err != nil {
		return LeaseRecord{}, err
	}
	var rec LeaseRecord
	if err := wire.Unmarshal(buf.Bytes(), &rec); err != nil {
		return LeaseRecord{}, fmt.Errorf("lease lock %s %q: %w", s.String(), key, err)
	}
	return rec, nil
}

// readLease reads and decodes the record at key. A record that does not
// decode is returned zero with an error naming the key.
func readLease(ctx context.Context, s Store, key string) (LeaseRecord, string, error) {
	obj, err := s.Get(ctx, key)
	if err != nil {
		return LeaseRecord{}, "", err
	}
	defer obj.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(obj.Body); err != nil {
		return LeaseRecord{}, "", &OpError{Store: s.String(), Op: "get", Key: key, Err: err}
	}
	var rec LeaseRecord
	if err := wire.Unmarshal(buf.Bytes(), &rec); err != nil {
		return LeaseRecord{}, "", fmt.Errorf("lease lock %s %q: %w", s.String(), key, err)
	}
	return rec, obj.Info.ETag, nil
}

// write stamps renewal and expiry from now and writes the record under
// the given precondition, keeping the new ETag. Call with mu held or
// before l is shared.
func (l *Lease) write(ctx context.Context, po PutOptions) error {
	now := l.opts.Now().UTC()
	rec := l.rec
	rec.RenewedAt = now.Format(time.RFC3339Nano)
	rec.ExpiresAt = now.Add(l.opts.TTL).Format(time.RFC3339Nano)
	data, err := wire.MarshalPretty(rec)
	if err != nil {
		return err
	}
	po.ContentType = "application/json"
	info, err := l.store.Put(ctx, l.key, bytes.NewReader(data), po)
	if err != nil {
		return err
	}
	l.rec, l.etag = rec, info.ETag
	return nil
}

// Record returns the record as last written.
func (l *Lease) Record() LeaseRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rec
}

// TakenOver returns the expired record this lease replaced, or nil when the
// lock was free or released.
func (l *Lease) TakenOver() *LeaseRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.takenOver == nil {
		return nil
	}
	r := *l.takenOver
	return &r
}

// Renew extends the lease by TTL from now. If someone else replaced the
// record (a takeover after this lease expired) it returns an error
// matching ErrLeaseLost and the lease is no longer held.
func (l *Lease) Renew(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost {
		return fmt.Errorf("lock %s %q: %w", l.store.String(), l.key, ErrLeaseLost)
	}
	err := l.write(ctx, PutOptions{IfMatch: l.etag})
	if errors.Is(err, ErrPreconditionFailed) {
		l.lost = true
		holder := "another owner"
		if cur, _, rerr := readLease(ctx, l.store, l.key); rerr == nil {
			holder = cur.String()
		}
		return fmt.Errorf("lock %s %q was taken over by %s: %w", l.store.String(), l.key, holder, ErrLeaseLost)
	}
	return err
}

// KeepAlive renews the lease every interval until ctx ends or the lease
// is gone; the returned channel receives the failure (or nil when ctx
// ended) and is then closed. The caller must stop its work on an error.
//
// A renewal that fails for another reason than a takeover (a store
// timeout, a refused connection) is retried at the next tick while the
// lease, as last written, outlives that tick; each attempt is bounded by
// interval. Only when the next tick would come after the expiry is the
// failure reported, so a store that is briefly slow or down does not stop
// a run that still holds its lease.
func (l *Lease) KeepAlive(ctx context.Context, interval time.Duration) <-chan error {
	ch := make(chan error, 1)
	go func() {
		defer close(ch)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				ch <- nil
				return
			case <-t.C:
				rctx, cancel := context.WithTimeout(ctx, interval)
				err := l.Renew(rctx)
				cancel()
				if err == nil || ctx.Err() != nil {
					continue
				}
				if errors.Is(err, ErrLeaseLost) || !l.outlives(interval) {
					ch <- err
					return
				}
			}
		}
	}()
	return ch
}

// outlives reports whether the lease as last written is still valid one
// interval from now.
func (l *Lease) outlives(interval time.Duration) bool {
	l.mu.Lock()
	exp, err := l.rec.expires()
	l.mu.Unlock()
	return err == nil && l.opts.Now().Add(interval).Before(exp)
}

// Release marks the record released by compare-and-swap, so the next
// acquirer takes it at once. It does not delete the object: an
// unconditional delete could remove a successor's lock. Releasing a lost
// lease returns ErrLeaseLost.
func (l *Lease) Release(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost {
		return fmt.Errorf("lock %s %q: %w", l.store.String(), l.key, ErrLeaseLost)
	}
	l.rec.Released = true
	err := l.write(ctx, PutOptions{IfMatch: l.etag})
	if errors.Is(err, ErrPreconditionFailed) {
		err = fmt.Errorf("lock %s %q: %w", l.store.String(), l.key, ErrLeaseLost)
	}
	l.lost = true
	return err
}
