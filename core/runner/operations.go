package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/plan"
)

// execute runs one pending operation and returns its completed receipt.
func (r *run) execute(ctx context.Context, op *journal.BackupExecutionJournalOperation) (journal.BackupExecutionOperationReceipt, error) {
	var (
		receipt journal.BackupExecutionOperationReceipt
		err     error
	)
	switch op.Kind {
	case plan.OpStop:
		err = r.withTarget(op, func(id string) error { return r.exec.StopCanister(ctx, id) })
	case plan.OpStart:
		err = r.withTarget(op, func(id string) error { return r.exec.StartCanister(ctx, id) })
	case plan.OpCreateSnapshot:
		var snapshotID string
		snapshotID, err = r.createSnapshot(ctx, op)
		receipt = r.completed(op)
		receipt.SnapshotID = &snapshotID
		return receipt, err
	case plan.OpDownloadSnapshot:
		err = r.downloadSnapshot(ctx, op)
		receipt = r.completed(op)
		rel := layout.ArtifactRelPath(deref(op.TargetCanisterID))
		receipt.ArtifactPath = &rel
		return receipt, err
	case plan.OpVerifyArtifact:
		var sum string
		sum, err = r.verifyArtifact(ctx, op)
		receipt = r.completed(op)
		receipt.Checksum = &sum
		return receipt, err
	case plan.OpFinalizeManifest:
		err = r.finalize(ctx, op)
	default: // validate-* (accepted with the preflight; nothing to do)
	}
	return r.completed(op), err
}

func (r *run) completed(op *journal.BackupExecutionJournalOperation) journal.BackupExecutionOperationReceipt {
	at := r.cfg.marker()
	return journal.CompletedReceipt(r.journal, op, &at)
}

func target(op *journal.BackupExecutionJournalOperation) (string, error) {
	if op.TargetCanisterID == nil {
		return "", &OperationDataError{Sequence: op.Sequence, Missing: "target canister"}
	}
	return *op.TargetCanisterID, nil
}

// withTarget calls f with op's target and wraps an executor error.
func (r *run) withTarget(op *journal.BackupExecutionJournalOperation, f func(string) error) error {
	id, err := target(op)
	if err != nil {
		return err
	}
	if err := f(id); err != nil {
		return commandFailed(op.Sequence, op.OperationID, op.Kind, err)
	}
	return nil
}

// createSnapshot snapshots the target and records a Created artifact in the
// download journal (creating the journal with the plan's topology hash).
func (r *run) createSnapshot(ctx context.Context, op *journal.BackupExecutionJournalOperation) (string, error) {
	id, err := target(op)
	if err != nil {
		return "", err
	}
	var dj *journal.DownloadJournal
	if r.store.exists(DownloadJournalFile) {
		if dj, err = r.store.readDownload(); err != nil {
			return "", err
		}
		dj.BeginStep(journal.StepSnapshotCreate)
		if err := r.store.writeDownload(dj); err != nil {
			return "", err
		}
	}
	snapshotID, err := r.exec.CreateSnapshot(ctx, id)
	if err != nil {
		return "", commandFailed(op.Sequence, op.OperationID, op.Kind, err)
	}
	hash := r.plan.TopologyHashBeforeQuiesce
	if dj == nil {
		dj = journal.NewDownloadJournal(r.plan.RunID, &hash)
		dj.BeginStep(journal.StepSnapshotCreate)
	}
	dj.SetTopologyHashes(&hash)
	key := journal.ArtifactKey{CanisterID: id, SnapshotID: snapshotID}
	if err := dj.RecordSnapshotCreated(key, layout.ArtifactRelPath(id), r.cfg.marker()); err != nil {
		return snapshotID, err
	}
	return snapshotID, r.store.writeDownload(dj)
}

// artifactEntry returns the download-journal entry of op's target.
func (r *run) artifactEntry(op *journal.BackupExecutionJournalOperation) (*journal.DownloadJournal, *journal.ArtifactJournalEntry, error) {
	id, err := target(op)
	if err != nil {
		return nil, nil, err
	}
	dj, err := r.store.readDownload()
	if err != nil {
		return nil, nil, err
	}
	e := dj.ArtifactForCanister(id)
	if e == nil {
		return nil, nil, &OperationDataError{Sequence: op.Sequence, Target: id, Missing: "artifact journal entry"}
	}
	return dj, e, nil
}

// downloadSnapshot downloads the latest snapshot of the target into a fresh
// temp directory under the backup directory and records it Downloaded.
func (r *run) downloadSnapshot(ctx context.Context, op *journal.BackupExecutionJournalOperation) error {
	id, err := target(op)
	if err != nil {
		return err
	}
	snapshotID, ok := r.journal.LatestSnapshotID(id)
	if !ok {
		return &OperationDataError{Sequence: op.Sequence, Target: id, Missing: "snapshot id"}
	}
	dj, e, err := r.artifactEntry(op)
	if err != nil {
		return err
	}
	key := e.Key()
	temp := r.layout().TempPath(id)
	if err := os.RemoveAll(temp); err != nil {
		return fmt.Errorf("clear %s: %w", temp, err)
	}
	if err := os.MkdirAll(temp, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", temp, err)
	}
	dj.BeginStep(journal.StepSnapshotDownload)
	if err := r.store.writeDownload(dj); err != nil {
		return err
	}
	dctx := ctx
	if r.cfg.Observer != nil {
		dctx = WithDownloadProgress(ctx, r.downloadObserver(op, id))
	}
	if err := r.exec.DownloadSnapshot(dctx, id, snapshotID, temp); err != nil {
		return commandFailed(op.Sequence, op.OperationID, op.Kind, err)
	}
	if err := dj.RecordDownloaded(key, layout.TempRelPath(id), r.cfg.marker()); err != nil {
		return err
	}
	return r.store.writeDownload(dj)
}

// verifyArtifact checksums the downloaded temp directory and records the
// checksum. The directory is located from the backup directory, not from
// the recorded temp_path, so a resume works from any working directory.
func (r *run) verifyArtifact(ctx context.Context, op *journal.BackupExecutionJournalOperation) (string, error) {
	dj, e, err := r.artifactEntry(op)
	if err != nil {
		return "", err
	}
	if e.TempPath == nil {
		return "", &OperationDataError{Sequence: op.Sequence, Target: e.CanisterID, Missing: "downloaded artifact"}
	}
	key := e.Key()
	dj.BeginStep(journal.StepChecksumVerify)
	if err := r.store.writeDownload(dj); err != nil {
		return "", err
	}
	temp, err := r.layout().ResolveTempPath(*e.TempPath)
	if err != nil {
		return "", err
	}
	sum, err := checksum.FromPath(ctx, temp)
	if err != nil {
		return "", err
	}
	if err := dj.RecordChecksumVerified(key, sum.Hash, r.cfg.marker()); err != nil {
		return "", err
	}
	return sum.Hash, r.store.writeDownload(dj)
}

// finalize moves every verified artifact to its final path, marks it
// Durable, then writes the manifest.
func (r *run) finalize(ctx context.Context, op *journal.BackupExecutionJournalOperation) error {
	dj, err := r.store.readDownload()
	if err != nil {
		return err
	}
	for i := range dj.Artifacts {
		e := dj.Artifacts[i]
		if e.State == journal.ArtifactDurable {
			continue
		}
		if e.State != journal.ArtifactChecksumVerified || e.Checksum == nil {
			return fmt.Errorf("backup operation %d: artifact of %s is %s, not ChecksumVerified; it cannot be finalized",
				op.Sequence, e.CanisterID, e.State)
		}
		if err := r.moveArtifact(ctx, e); err != nil {
			return fmt.Errorf("backup operation %d: %w", op.Sequence, err)
		}
		dj.BeginStep(journal.StepArtifactFinalize)
		if err := dj.RecordDurable(e.Key(), r.cfg.marker()); err != nil {
			return err
		}
		if err := r.store.writeDownload(dj); err != nil {
			return err
		}
	}
	m, err := buildManifest(r.cfg, r.plan, dj)
	if err != nil {
		return fmt.Errorf("backup operation %d: %w", op.Sequence, err)
	}
	return r.store.writeManifest(m)
}

// moveArtifact renames the verified temp directory of e to its artifact
// path. A destination that already holds the verified artifact while the
// temp directory is gone is a finalize interrupted after its rename, and is
// accepted.
func (r *run) moveArtifact(ctx context.Context, e journal.ArtifactJournalEntry) error {
	dest, err := r.layout().Resolve(e.ArtifactPath)
	if err != nil {
		return err
	}
	temp := r.layout().TempPath(e.CanisterID)
	if e.TempPath != nil {
		if temp, err = r.layout().ResolveTempPath(*e.TempPath); err != nil {
			return err
		}
	}
	if _, err := os.Lstat(dest); err == nil {
		if _, terr := os.Lstat(temp); errors.Is(terr, fs.ErrNotExist) {
			sum, err := checksum.FromPath(ctx, dest)
			if err == nil && sum.Hash == *e.Checksum {
				return nil
			}
		}
		return fmt.Errorf("%w: %s", ErrArtifactExists, dest)
	}
	if err := os.Rename(temp, dest); err != nil {
		return fmt.Errorf("finalize artifact %s: %w", dest, err)
	}
	return layout.SyncDir(r.cfg.Dir)
}

func (r *run) layout() layout.BackupLayout { return layout.New(r.cfg.Dir) }
