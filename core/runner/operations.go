package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/plan"
)

// opInput is what an operation needs from the execution journal, read on
// the run's goroutine before the operation is handed to a worker (workers
// never touch r.journal).
type opInput struct {
	// snapshotID is the latest snapshot of a download's target.
	snapshotID string
	// progress reports a download's bytes (nil without an Observer). It is
	// built by prepare on the run goroutine, which alone reads the journal.
	progress DownloadProgressFunc
}

// outcome is what performing an operation produced.
type outcome struct {
	snapshotID string
	checksum   string
	// began and ended bracket the executor call (Config.Clock).
	began, ended time.Time
}

// prepare reads op's input from the journal (run goroutine only).
func (r *run) prepare(op *journal.BackupExecutionJournalOperation) (opInput, error) {
	if op.Kind != plan.OpDownloadSnapshot {
		return opInput{}, nil
	}
	id, err := target(op)
	if err != nil {
		return opInput{}, err
	}
	sid, ok := r.journal.LatestSnapshotID(id)
	if !ok {
		return opInput{}, &OperationDataError{Sequence: op.Sequence, Target: id, Missing: "snapshot id"}
	}
	in := opInput{snapshotID: sid}
	if r.cfg.Observer != nil {
		in.progress = r.downloadObserver(op, id)
	}
	return in, nil
}

// perform runs one pending operation's side effects. It may run on a
// worker goroutine: it reads nothing of r.journal, and serializes its
// download-journal updates (read, change, write) under r.downloadMu.
func (r *run) perform(ctx context.Context, op *journal.BackupExecutionJournalOperation, in opInput) (outcome, error) {
	var (
		out outcome
		err error
	)
	out.began = r.cfg.now()
	switch op.Kind {
	case plan.OpStop:
		err = r.withTarget(op, func(id string) error {
			intent := r.intentWhileStopping(ctx, id)
			err := r.reconcileRunStatus(ctx, id, "stop_canister", "stopped", r.exec.StopCanister(ctx, id))
			intent(err)
			return err
		})
		if err != nil {
			err = &stopAttemptError{began: out.began, err: err}
		}
	case plan.OpStart:
		err = r.withTarget(op, func(id string) error {
			return r.reconcileRunStatus(ctx, id, "start_canister", "running", r.exec.StartCanister(ctx, id))
		})
	case plan.OpCreateSnapshot:
		out.snapshotID, err = r.createSnapshot(ctx, op)
	case plan.OpDownloadSnapshot:
		err = r.downloadSnapshot(ctx, op, in)
	case plan.OpVerifyArtifact:
		out.checksum, err = r.verifyArtifact(ctx, op)
	case plan.OpFinalizeManifest:
		err = r.finalize(ctx, op)
	default: // validate-* (accepted with the preflight; nothing to do)
	}
	out.ended = r.cfg.now()
	return out, err
}

// receipt builds the completed receipt of op from its outcome (run
// goroutine only).
func (r *run) receipt(op *journal.BackupExecutionJournalOperation, out outcome) journal.BackupExecutionOperationReceipt {
	receipt := r.completed(op)
	switch op.Kind {
	case plan.OpCreateSnapshot:
		sid := out.snapshotID
		receipt.SnapshotID = &sid
	case plan.OpDownloadSnapshot:
		rel := layout.ArtifactRelPath(deref(op.TargetCanisterID))
		receipt.ArtifactPath = &rel
	case plan.OpVerifyArtifact:
		sum := out.checksum
		receipt.Checksum = &sum
	}
	return receipt
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

// updateDownload reads the download journal, applies f and writes it back,
// under r.downloadMu so concurrent operations never lose each other's
// updates. With create set, a missing journal starts empty (the plan's
// topology hash); otherwise a missing journal is an error.
func (r *run) updateDownload(create bool, f func(dj *journal.DownloadJournal, created bool) error) error {
	r.downloadMu.Lock()
	defer r.downloadMu.Unlock()
	// r.download is the journal as last written by this run (reading and
	// validating the whole file again for every step grew with the
	// fleet); it is dropped whenever memory and disk may differ.
	dj := r.download
	r.download = nil
	created := false
	if dj == nil {
		if r.store.exists(DownloadJournalFile) || !create {
			var err error
			if dj, err = r.store.readDownload(); err != nil {
				return err
			}
		} else {
			hash := r.plan.TopologyHashBeforeQuiesce
			dj, created = journal.NewDownloadJournal(r.plan.RunID, &hash), true
		}
	}
	if err := f(dj, created); err != nil {
		return err
	}
	if err := r.store.writeDownload(dj); err != nil {
		return err
	}
	r.download = dj
	return nil
}

// createSnapshot snapshots the target and records a Created artifact in the
// download journal (creating the journal with the plan's topology hash).
func (r *run) createSnapshot(ctx context.Context, op *journal.BackupExecutionJournalOperation) (string, error) {
	id, err := target(op)
	if err != nil {
		return "", err
	}
	if r.store.exists(DownloadJournalFile) {
		// A run that died after the download journal recorded this
		// canister's new snapshot but before the operation's receipt was
		// persisted re-executes the operation: take that snapshot again
		// from the journal instead of a second one (each one holds one of
		// the canister's 10 snapshot slots until deleted).
		reused := ""
		if err := r.updateDownload(false, func(dj *journal.DownloadJournal, _ bool) error {
			if e := dj.ArtifactForCanister(id); e != nil && e.State == journal.ArtifactCreated && e.SnapshotID != "" {
				reused = e.SnapshotID
				return nil
			}
			dj.BeginStep(journal.StepSnapshotCreate)
			return nil
		}); err != nil {
			return "", err
		}
		if reused != "" {
			return reused, r.snapshotRecorded(id)
		}
	}
	snapshotID, err := r.snapshotBefore(ctx, id)
	if err != nil {
		return "", commandFailed(op.Sequence, op.OperationID, op.Kind, err)
	}
	if snapshotID == "" {
		if snapshotID, err = r.exec.CreateSnapshot(ctx, id); err != nil {
			if snapshotID, err = r.reconcileSnapshot(ctx, id, err); err != nil {
				return "", commandFailed(op.Sequence, op.OperationID, op.Kind, err)
			}
		}
	}
	hash := r.plan.TopologyHashBeforeQuiesce
	err = r.updateDownload(true, func(dj *journal.DownloadJournal, created bool) error {
		if created {
			dj.BeginStep(journal.StepSnapshotCreate)
		}
		dj.SetTopologyHashes(&hash)
		key := journal.ArtifactKey{CanisterID: id, SnapshotID: snapshotID}
		return dj.RecordSnapshotCreated(key, layout.ArtifactRelPath(id), r.cfg.marker())
	})
	if err == nil {
		err = r.snapshotRecorded(id)
	}
	return snapshotID, err
}

// downloadSnapshot downloads snapshot snapshotID of the target into a
// fresh temp directory under the backup directory and records it
// Downloaded. File digests the executor reports while writing
// (ReportFileChecksum) are kept for verifyArtifact.
func (r *run) downloadSnapshot(ctx context.Context, op *journal.BackupExecutionJournalOperation, in opInput) error {
	snapshotID := in.snapshotID
	id, err := target(op)
	if err != nil {
		return err
	}
	var key journal.ArtifactKey
	if err := r.artifactStep(op, journal.StepSnapshotDownload, func(_ *journal.DownloadJournal, e *journal.ArtifactJournalEntry) error {
		key = e.Key()
		return nil
	}); err != nil {
		return err
	}
	temp := r.layout().TempPath(id)
	if err := os.RemoveAll(temp); err != nil {
		return fmt.Errorf("clear %s: %w", temp, err)
	}
	if err := os.MkdirAll(temp, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", temp, err)
	}
	r.sums.forget(id)
	sums := newFileSums()
	dctx := withFileSums(ctx, sums)
	if in.progress != nil {
		dctx = WithDownloadProgress(dctx, in.progress)
	}
	if err := r.exec.DownloadSnapshot(dctx, id, snapshotID, temp); err != nil {
		return commandFailed(op.Sequence, op.OperationID, op.Kind, err)
	}
	r.sums.keep(id, sums)
	return r.updateDownload(false, func(dj *journal.DownloadJournal, _ bool) error {
		return dj.RecordDownloaded(key, layout.TempRelPath(id), r.cfg.marker())
	})
}

// artifactStep begins step in the download journal and calls f with the
// entry of op's target, then persists the journal.
func (r *run) artifactStep(op *journal.BackupExecutionJournalOperation, step journal.Step,
	f func(*journal.DownloadJournal, *journal.ArtifactJournalEntry) error) error {
	id, err := target(op)
	if err != nil {
		return err
	}
	return r.updateDownload(false, func(dj *journal.DownloadJournal, _ bool) error {
		e := dj.ArtifactForCanister(id)
		if e == nil {
			return &OperationDataError{Sequence: op.Sequence, Target: id, Missing: "artifact journal entry"}
		}
		if err := f(dj, e); err != nil {
			return err
		}
		dj.BeginStep(step)
		return nil
	})
}

// verifyArtifact checksums the downloaded temp directory and records the
// checksum. The directory is located from the backup directory, not from
// the recorded temp_path, so a resume works from any working directory.
// When this run's download reported a digest for every file the directory
// holds (same names, same sizes), the checksum is computed from those
// digests without reading the files again; otherwise every file is read.
// With a Sink the artifact then goes to the sink and its temp directory is
// removed (a failure fails the operation, like an executor's); a
// re-executed verify whose artifact is already sunk keeps the recorded
// checksum when the sink holds it.
func (r *run) verifyArtifact(ctx context.Context, op *journal.BackupExecutionJournalOperation) (string, error) {
	var entry journal.ArtifactJournalEntry
	if err := r.artifactStep(op, journal.StepChecksumVerify, func(_ *journal.DownloadJournal, e *journal.ArtifactJournalEntry) error {
		if e.TempPath == nil {
			return &OperationDataError{Sequence: op.Sequence, Target: e.CanisterID, Missing: "downloaded artifact"}
		}
		entry = *e
		return nil
	}); err != nil {
		return "", err
	}
	key := entry.Key()
	temp, err := r.layout().ResolveTempPath(*entry.TempPath)
	if err != nil {
		return "", err
	}
	sum, sunk := "", false
	if r.cfg.Sink != nil {
		if sum, sunk, err = r.sunkChecksum(ctx, entry, temp); err != nil {
			return "", sinkFailed(op, err)
		}
	}
	if !sunk {
		var ok bool
		if sum, ok = r.sums.treeSum(key.CanisterID, temp); !ok {
			c, err := checksum.FromPath(ctx, temp)
			if err != nil {
				return "", err
			}
			sum = c.Hash
		}
	}
	if err := r.updateDownload(false, func(dj *journal.DownloadJournal, _ bool) error {
		return dj.RecordChecksumVerified(key, sum, r.cfg.marker())
	}); err != nil {
		return "", err
	}
	if r.cfg.Sink != nil && !sunk {
		if err := r.sink(ctx, entry, temp, sum); err != nil {
			return "", sinkFailed(op, err)
		}
	}
	return sum, nil
}

// finalize moves every verified artifact to its final path (with a Sink:
// makes sure the sink holds it), marks it Durable, then writes the
// manifest.
func (r *run) finalize(ctx context.Context, op *journal.BackupExecutionJournalOperation) error {
	r.downloadMu.Lock()
	r.download = nil // finalize runs alone and writes the file itself
	r.downloadMu.Unlock()
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
		if r.cfg.Sink != nil {
			err = r.finalizeSunk(ctx, e)
		} else {
			err = r.moveArtifact(ctx, e)
		}
		if err != nil {
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
	return r.store.writeManifest(m, r.provenance())
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
	// Published without ever replacing what appeared under dest meanwhile.
	if err := layout.Publish(temp, dest); err != nil {
		if errors.Is(err, layout.ErrExists) {
			return fmt.Errorf("%w: %s", ErrArtifactExists, dest)
		}
		return fmt.Errorf("finalize artifact %s: %w", dest, err)
	}
	return nil
}

func (r *run) layout() layout.BackupLayout { return layout.New(r.cfg.Dir) }
