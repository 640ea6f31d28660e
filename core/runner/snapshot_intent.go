package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

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
