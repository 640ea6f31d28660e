package restore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"github.com/canic-backup/canic-backup/core/layout"
)

// SnapshotCleaner is a RestoreExecutor that can also list and delete a
// canister's snapshots. With it, an upload cut off by a crash or a failure
// (its snapshot created, its id never recorded in the journal) does not
// leave that snapshot behind in one of the canister's 10 slots: the retry
// deletes it before uploading again.
type SnapshotCleaner interface {
	// ListSnapshots returns the ids of target's snapshots.
	ListSnapshots(ctx context.Context, target string) ([]string, error)
	// DeleteSnapshot deletes one snapshot of target.
	DeleteSnapshot(ctx context.Context, target, snapshotID string) error
}

// uploadIntent is written beside the journal before an upload starts: the
// target's snapshots before it. It is removed once the journal records the
// upload's snapshot id.
type uploadIntent struct {
	Target string   `json:"target"`
	Before []string `json:"before"`
}

// UploadIntentPath is where the upload intent of operation seq of the
// journal at journal lives.
func UploadIntentPath(journal string, seq int) string {
	return journal + ".upload-" + strconv.Itoa(seq) + ".json"
}

// beforeUpload deletes the snapshots an earlier, interrupted attempt of
// this upload left on target (those not in its intent), then records a new
// intent. Without a SnapshotCleaner it does nothing.
func (r *runner) beforeUpload(ctx context.Context, seq int, target string) error {
	c, ok := r.opts.Executor.(SnapshotCleaner)
	if !ok {
		return nil
	}
	path := UploadIntentPath(r.opts.Journal, seq)
	now, err := c.ListSnapshots(ctx, target)
	if err != nil {
		return err
	}
	var old uploadIntent
	switch err := layout.ReadJSON(path, &old); {
	case err == nil && old.Target == target:
		known := map[string]bool{}
		for _, id := range old.Before {
			known[id] = true
		}
		kept := now[:0:0]
		for _, id := range now {
			if known[id] {
				kept = append(kept, id)
				continue
			}
			if err := c.DeleteSnapshot(ctx, target, id); err != nil {
				return fmt.Errorf("delete snapshot %s that an interrupted upload to %s left: %w", id, target, err)
			}
		}
		now = kept
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	}
	return layout.WriteJSONAtomic(path, uploadIntent{Target: target, Before: now})
}

// uploadRecorded removes operation seq's upload intent.
func (r *runner) uploadRecorded(seq int) error {
	if err := os.Remove(UploadIntentPath(r.opts.Journal, seq)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
