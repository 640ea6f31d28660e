package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"github.com/canic-backup/canic-backup/core/layout"
)

// SnapshotLister is an Executor that can also list a canister's snapshot
// ids. With it, a create-snapshot cut off by a crash (the snapshot taken,
// its id never recorded) is found again on resume instead of taken twice.
type SnapshotLister interface {
	// ListSnapshots returns the ids of canisterID's snapshots.
	ListSnapshots(ctx context.Context, canisterID string) ([]string, error)
}

// snapshotIntent is the record written before take_canister_snapshot is
// sent: the canister's snapshots before it. It lives beside the journals
// as .snapshot-intent-<canister>.json and is removed once the new snapshot
// is in the download journal.
type snapshotIntent struct {
	CanisterID string   `json:"canister_id"`
	Before     []string `json:"before"`
}

func intentName(canisterID string) string { return ".snapshot-intent-" + canisterID + ".json" }

// snapshotBefore records the intent to snapshot id (when the executor can
// list), or returns the snapshot an earlier, interrupted attempt created:
// the one snapshot not in that attempt's intent. "" means take a new one.
func (r *run) snapshotBefore(ctx context.Context, id string) (string, error) {
	lister, ok := r.exec.(SnapshotLister)
	if !ok {
		return "", nil
	}
	if r.intents.take(id) && r.store.exists(intentName(id)) {
		// Written by this process while the canister was being stopped,
		// and no take has been sent since: nothing to reconcile.
		return "", nil
	}
	now, err := lister.ListSnapshots(ctx, id)
	if err != nil {
		return "", fmt.Errorf("list snapshots of %s: %w", id, err)
	}
	var old snapshotIntent
	err = layout.ReadJSON(r.store.path(intentName(id)), &old)
	switch {
	case err == nil && old.CanisterID == id:
		if found := oneNew(old.Before, now); found != "" {
			return found, nil
		}
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return "", err
	}
	return "", layout.WriteJSONAtomic(r.store.path(intentName(id)), snapshotIntent{CanisterID: id, Before: now})
}

// freshIntents records the canisters whose snapshot intent this process
// wrote during their stop. It is safe for concurrent use.
type freshIntents struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (f *freshIntents) add(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ids == nil {
		f.ids = map[string]bool{}
	}
	f.ids[id] = true
}

// take reports whether id's intent is fresh, and forgets it: a second
// attempt (a retry after a failed take) lists again.
func (f *freshIntents) take(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	ok := f.ids[id]
	delete(f.ids, id)
	return ok
}

// intentWhileStopping lists id's snapshots and writes its snapshot intent
// while stop_canister runs, so the snapshot phase (inside the fleet's
// downtime window) does not wait one more update call for the listing.
// It does so only when the executor can list and no intent exists yet (an
// existing one may belong to a take an earlier run sent; the snapshot
// step reconciles it as before). The returned function waits for the
// listing; given the stop's error, it removes an intent written for a
// canister that did not stop, so it cannot outlive the attempt. A failed
// listing or write is not an error: the snapshot step lists again.
func (r *run) intentWhileStopping(ctx context.Context, id string) func(stopErr error) {
	lister, ok := r.exec.(SnapshotLister)
	if !ok || r.store.exists(intentName(id)) {
		return func(error) {}
	}
	done := make(chan bool, 1)
	go func() {
		now, err := lister.ListSnapshots(ctx, id)
		if err == nil {
			err = layout.WriteJSONAtomic(r.store.path(intentName(id)), snapshotIntent{CanisterID: id, Before: now})
		}
		done <- err == nil
	}()
	return func(stopErr error) {
		if !<-done {
			return
		}
		if stopErr != nil {
			_ = os.Remove(r.store.path(intentName(id)))
			return
		}
		r.intents.add(id)
	}
}

// snapshotRecorded removes the intent of id once its snapshot is recorded.
func (r *run) snapshotRecorded(id string) error {
	if err := os.Remove(r.store.path(intentName(id))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// oneNew returns the one id in now that is not in before, or "" when there
// is none or more than one.
func oneNew(before, now []string) string {
	known := map[string]bool{}
	for _, id := range before {
		known[id] = true
	}
	found := ""
	for _, id := range now {
		if !known[id] {
			if found != "" {
				return ""
			}
			found = id
		}
	}
	return found
}
