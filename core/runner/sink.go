package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/internal/killpoint"
)

// ArtifactSink keeps verified artifacts outside the backup directory (an
// artifact store). With Config.Sink set, each artifact goes to the sink
// from its temp directory as soon as its checksum is recorded, and the
// temp directory is removed, so the backup directory holds only the
// artifacts in flight; finalize then requires the sink to hold each one.
// The journals and the manifest are the same as without a sink.
type ArtifactSink interface {
	// Put streams the verified artifact in dir (its temp directory) to the
	// sink as rel (its artifact path) and checks it arrived with checksum
	// sum (hex sha256, the artifact checksum). Idempotent and resumable.
	Put(ctx context.Context, rel, dir, sum string) error
	// Has reports whether the sink holds rel with checksum sum.
	Has(ctx context.Context, rel, sum string) (bool, error)
}

// ErrNotInSink is matched by the error of an artifact whose temp directory
// is gone while the sink does not hold it with its recorded checksum (the
// sink lost it, or it was removed by hand): it must be downloaded again.
var ErrNotInSink = errors.New("artifact is neither in its temp directory nor in the artifact sink")

// removingSuffix names a sunk artifact's temp directory while it is
// removed (renamed first, so the temp directory is whole or gone).
const removingSuffix = ".removing"

// SinkStatus is the status of a *CommandFailedError whose cause is the
// artifact sink ("backup operation N failed: sink: ...").
const SinkStatus = "sink"

// sinkFailed fails op because of the sink, like an executor failure (the
// run stops, restarts what it stopped; --retry-failed retries it).
func sinkFailed(op *journal.BackupExecutionJournalOperation, err error) error {
	return &CommandFailedError{Sequence: op.Sequence, OperationID: op.OperationID, Kind: op.Kind,
		Status: SinkStatus, Message: err.Error(), Err: err}
}

// sinkName names the sink in errors (its String when it has one).
func sinkName(s ArtifactSink) string {
	if st, ok := s.(fmt.Stringer); ok {
		return st.String()
	}
	return "the artifact sink"
}

// exists reports whether path exists (an error other than "not there" is
// returned).
func exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, err
	}
}

// sunkChecksum handles a verify-artifact re-executed after its artifact
// was sunk and its temp directory removed (the run died before the
// receipt was persisted): the recorded checksum stands when the sink holds
// the artifact with it. ok is false when the temp directory is there (the
// caller checksums it as usual).
func (r *run) sunkChecksum(ctx context.Context, e journal.ArtifactJournalEntry, temp string) (sum string, ok bool, err error) {
	there, err := exists(temp)
	if err != nil || there {
		return "", false, err
	}
	if e.State != journal.ArtifactChecksumVerified || e.Checksum == nil {
		return "", false, nil // the checksum below names the missing directory
	}
	has, err := r.cfg.Sink.Has(ctx, e.ArtifactPath, *e.Checksum)
	if err != nil {
		return "", false, fmt.Errorf("artifact %s of %s: ask %s: %w", e.ArtifactPath, e.CanisterID, sinkName(r.cfg.Sink), err)
	}
	if !has {
		return "", false, r.notInSink(e, temp)
	}
	return *e.Checksum, true, nil
}

// sink puts the verified artifact in temp to the sink and removes temp.
func (r *run) sink(ctx context.Context, e journal.ArtifactJournalEntry, temp, sum string) error {
	if err := r.cfg.Sink.Put(ctx, e.ArtifactPath, temp, sum); err != nil {
		return fmt.Errorf("artifact %s of %s to %s: %w", e.ArtifactPath, e.CanisterID, sinkName(r.cfg.Sink), err)
	}
	// The temp directory goes in one step (a rename), then its files: a
	// kill in the middle of a RemoveAll (another artifact's, concurrent
	// with a crash) left a half-emptied temp directory that the resumed
	// run took for the artifact (checksum of an empty tree).
	trash := temp + removingSuffix
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("artifact %s of %s: remove %s: %w", e.ArtifactPath, e.CanisterID, trash, err)
	}
	if err := os.Rename(temp, trash); err != nil {
		return fmt.Errorf("artifact %s of %s is in %s, but removing %s failed: %w",
			e.ArtifactPath, e.CanisterID, sinkName(r.cfg.Sink), temp, err)
	}
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("artifact %s of %s is in %s, but removing %s failed: %w",
			e.ArtifactPath, e.CanisterID, sinkName(r.cfg.Sink), trash, err)
	}
	r.sums.forget(e.CanisterID)
	killpoint.Hit(killpoint.RunnerArtifactSunk)
	return nil
}

// finalizeSunk makes sure the sink holds the verified artifact e (Put
// from its temp directory when a previous run left it there), for finalize.
func (r *run) finalizeSunk(ctx context.Context, e journal.ArtifactJournalEntry) error {
	has, err := r.cfg.Sink.Has(ctx, e.ArtifactPath, *e.Checksum)
	if err != nil {
		return fmt.Errorf("artifact %s of %s: ask %s: %w", e.ArtifactPath, e.CanisterID, sinkName(r.cfg.Sink), err)
	}
	if has {
		return nil
	}
	temp, err := r.tempOf(e)
	if err != nil {
		return err
	}
	there, err := exists(temp)
	if err != nil {
		return err
	}
	if !there {
		return r.notInSink(e, temp)
	}
	return r.sink(ctx, e, temp, *e.Checksum)
}

// tempOf is the temp directory of e (the recorded one, else the default).
func (r *run) tempOf(e journal.ArtifactJournalEntry) (string, error) {
	if e.TempPath != nil {
		return r.layout().ResolveTempPath(*e.TempPath)
	}
	return r.layout().TempPath(e.CanisterID), nil
}

func (r *run) notInSink(e journal.ArtifactJournalEntry, temp string) error {
	sum := ""
	if e.Checksum != nil {
		sum = *e.Checksum
	}
	return fmt.Errorf("%w: artifact %s of canister %s (checksum %s): %s is gone and %s does not hold it; "+
		"the snapshot must be downloaded again: start a new backup (this one cannot complete)",
		ErrNotInSink, e.ArtifactPath, e.CanisterID, sum, temp, sinkName(r.cfg.Sink))
}
