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
// leave that snapshot behind in one of the canister's 10 slots: once the
// retried upload succeeds, the snapshots earlier attempts left are deleted.
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

// beforeUpload records the target's snapshots before an upload, unless an
// earlier, interrupted attempt of this upload already did: then it returns
// that attempt's intent, whose snapshots afterUpload keeps. Without a
// SnapshotCleaner it does nothing.
func (r *runner) beforeUpload(ctx context.Context, seq int, target string) (*uploadIntent, error) {
	c, ok := r.opts.Executor.(SnapshotCleaner)
	if !ok {
		return nil, nil
	}
	path := UploadIntentPath(r.opts.Journal, seq)
	var old uploadIntent
	switch err := layout.ReadJSON(path, &old); {
	case err == nil && old.Target == target:
		return &old, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	now, err := c.ListSnapshots(ctx, target)
	if err != nil {
		return nil, err
	}
	return nil, layout.WriteJSONAtomic(path, uploadIntent{Target: target, Before: now})
}

// afterUpload deletes, once a retried upload succeeded as snapshot kept,
// the snapshots earlier attempts left on the target: those neither in the
// first attempt's intent nor kept. The executor may have resumed into an
// earlier attempt's snapshot (then kept is that one and nothing is
// deleted). Deletion failures are returned; the caller keeps the upload.
func (r *runner) afterUpload(ctx context.Context, prior *uploadIntent, target, kept string) error {
	c, ok := r.opts.Executor.(SnapshotCleaner)
	if !ok || prior == nil {
		return nil
	}
	now, err := c.ListSnapshots(ctx, target)
	if err != nil {
		return err
	}
	known := map[string]bool{kept: true}
	for _, id := range prior.Before {
		known[id] = true
	}
	var errs []error
	for _, id := range now {
		if !known[id] {
			if err := c.DeleteSnapshot(ctx, target, id); err != nil {
				errs = append(errs, fmt.Errorf("delete snapshot %s that an interrupted upload to %s left: %w", id, target, err))
			}
		}
	}
	return errors.Join(errs...)
}

// uploadRecorded removes operation seq's upload intent.
func (r *runner) uploadRecorded(seq int) error {
	if err := os.Remove(UploadIntentPath(r.opts.Journal, seq)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
