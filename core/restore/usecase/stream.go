package usecase

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/wire"
)

// FetchFailedStatus is the status label of an upload that did not run
// because its artifact could not be fetched from the store.
const FetchFailedStatus = "fetch-failed"

// FetchedSuffix names the file next to an apply journal that lists the
// artifacts `restore run --store` fetched into the journal's backup_root
// and has not removed yet, so that a run that crashed in between removes
// them (or reuses them) next time and never removes files it did not put
// there.
const FetchedSuffix = ".fetched"

// FetchedRecord is the document at <journal>.fetched.
type FetchedRecord struct {
	BackupRoot string   `json:"backup_root"`
	Artifacts  []string `json:"artifacts"`
}

// streamer makes `restore run --execute --store` need local disk for the
// artifact in flight only: each upload's artifact is fetched into the
// journal's backup_root (verified while it streams; files already there
// with the right SHA-256 are kept) just before the upload and, unless
// keep, removed right after it when this run put it there.
type streamer struct {
	src     *Source
	keep    bool
	record  string
	byInput map[string]string // resolved input path -> artifact path
	// index is the published backup's listing, taken at the first
	// artifact fetch and reused by the others (one listing per run, not
	// one per member).
	index *archive.Index

	mu        sync.Mutex
	owned     map[string]bool // artifacts fetched by us, still on disk
	docs      archive.FetchReport
	total     archive.FetchReport
	took      time.Duration
	fetches   int
	removed   int
	fetchErr  error
	removeErr error
}

// newStreamer prepares the streaming of journal j's artifacts from src
// (whose Dir is j's backup_root): it fetches the backup's documents there
// (the runner reads the manifest) and removes artifacts an earlier run
// fetched whose uploads are all done.
func newStreamer(ctx context.Context, src *Source, j *restore.Journal, journalPath string, keep bool) (*streamer, error) {
	s := &streamer{
		src:     src,
		keep:    keep,
		record:  journalPath + FetchedSuffix,
		byInput: map[string]string{},
		owned:   map[string]bool{},
	}
	needed := map[string]bool{}
	for _, op := range j.Operations {
		if op.Operation != restore.OpUploadSnapshot || op.State == restore.StateCompleted || op.ArtifactPath == nil {
			continue
		}
		in, err := restore.ResolveArtifact(src.Dir, op.SourceCanister, *op.ArtifactPath)
		if err != nil {
			return nil, err
		}
		s.byInput[in] = *op.ArtifactPath
		needed[*op.ArtifactPath] = true
	}
	if err := s.fetchDocuments(ctx); err != nil {
		return nil, err
	}
	if err := s.loadRecord(needed); err != nil {
		return nil, err
	}
	return s, nil
}

// fetchDocuments fetches the backup's documents into backup_root (kept
// when already there) and refuses a backup without a manifest.
func (s *streamer) fetchDocuments(ctx context.Context) error {
	r := s.src
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return fmt.Errorf("restore run: create %s: %w", r.Dir, err)
	}
	start := time.Now()
	rep, err := archive.Fetch(ctx, r.Store, r.Backup, r.Dir, archive.FetchOptions{})
	s.took += time.Since(start)
	if err != nil {
		return markIntegrity(fmt.Errorf("restore run: fetch the documents of backup %s from %s into %s: %w", r.Backup, r.Store, r.Dir, err))
	}
	s.docs, s.total = *rep, *rep
	return r.requireManifest("restore run")
}

// loadRecord reads <journal>.fetched: artifacts an earlier run fetched and
// did not remove. Those still needed are owned again (reused if intact,
// removed after their upload); the others are removed now, unless keep.
func (s *streamer) loadRecord(needed map[string]bool) error {
	data, err := layout.ReadDocument(s.record, layout.MaxDocumentSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore run: read %s: %w", s.record, err)
	}
	var rec FetchedRecord
	if err := wire.Unmarshal(data, &rec); err != nil {
		return fmt.Errorf("restore run: %s: %w", s.record, err)
	}
	if !sameDir(rec.BackupRoot, s.src.Dir) {
		return nil // another backup directory's record: not ours to act on
	}
	for _, ap := range rec.Artifacts {
		if _, err := restore.ResolveArtifact(s.src.Dir, "", ap); err != nil {
			return fmt.Errorf("restore run: %s: artifact %q: %w", s.record, ap, err)
		}
		s.owned[ap] = true
	}
	if s.keep {
		return nil
	}
	for ap := range s.owned {
		if needed[ap] {
			continue
		}
		if err := os.RemoveAll(s.local(ap)); err != nil {
			return fmt.Errorf("restore run: remove fetched artifact %s: %w", s.local(ap), err)
		}
		delete(s.owned, ap)
	}
	return s.saveRecord()
}

// saveRecord writes <journal>.fetched with the owned artifacts, or removes
// it when there are none.
func (s *streamer) saveRecord() error {
	if len(s.owned) == 0 {
		if err := os.Remove(s.record); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restore run: remove %s: %w", s.record, err)
		}
		return nil
	}
	rec := FetchedRecord{BackupRoot: s.src.Dir, Artifacts: make([]string, 0, len(s.owned))}
	for ap := range s.owned {
		rec.Artifacts = append(rec.Artifacts, ap)
	}
	sort.Strings(rec.Artifacts)
	if err := layout.WriteJSONAtomic(s.record, rec); err != nil {
		return fmt.Errorf("restore run: write %s: %w", s.record, err)
	}
	return nil
}

// local is the local path of the artifact ap.
func (s *streamer) local(ap string) string {
	return filepath.Join(s.src.Dir, filepath.FromSlash(ap))
}

// before fetches the artifact ap into backup_root, first recording it as
// ours when nothing of it is there yet.
func (s *streamer) before(ctx context.Context, ap string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.keep && !s.owned[ap] {
		if _, err := os.Lstat(s.local(ap)); errors.Is(err, fs.ErrNotExist) {
			s.owned[ap] = true
			if err := s.saveRecord(); err != nil {
				delete(s.owned, ap)
				return err
			}
		}
	}
	r := s.src
	start := time.Now()
	if s.index == nil {
		ix, err := archive.IndexBackup(ctx, r.Store, r.Backup)
		if err != nil {
			return fmt.Errorf("list backup %s in %s: %w", r.Backup, r.Store, err)
		}
		s.index = ix
	}
	rep, err := archive.Fetch(ctx, r.Store, r.Backup, r.Dir, archive.FetchOptions{Artifacts: []string{ap}, Index: s.index})
	s.took += time.Since(start)
	if err != nil {
		err = fmt.Errorf("fetch artifact %s of backup %s from %s into %s: %w", ap, r.Backup, r.Store, r.Dir, err)
		if ctx.Err() == nil && s.owned[ap] {
			// No partial or bad copy stays behind (an interrupted fetch
			// keeps its files for the next run to reuse).
			if rmErr := os.RemoveAll(s.local(ap)); rmErr == nil {
				delete(s.owned, ap)
				_ = s.saveRecord()
			}
		}
		return err
	}
	s.fetches++
	// Every Fetch also keeps the documents; count them once.
	s.total.Objects += rep.Objects - s.docs.Objects
	s.total.Bytes += rep.Bytes - s.docs.Bytes
	s.total.Downloaded += rep.Downloaded
	return nil
}

// after removes the artifact ap once it was uploaded, when this run
// fetched it and keep is not set. A failed removal does not fail the
// upload; it is reported at the end of the run.
func (s *streamer) after(ap string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keep || !s.owned[ap] {
		return
	}
	if err := os.RemoveAll(s.local(ap)); err != nil {
		if s.removeErr == nil {
			s.removeErr = err
		}
		return
	}
	s.removed++
	delete(s.owned, ap)
	if err := s.saveRecord(); err != nil && s.removeErr == nil {
		s.removeErr = err
	}
}

// prepare fetches the artifact at the resolved input path dir before the
// runner stages and verifies it (restore.ArtifactPreparer), so fetched
// artifacts go through the same check as local ones. An upload that fails
// or whose outcome is unknown keeps the artifact (it is listed in
// JOURNAL.fetched) for the retry, which is the journal's next operation,
// so still one artifact is on disk. A fetch that fails is a definite
// failure of the upload (it did not run), with the fetch error as its
// transcript; a cancelled fetch leaves the outcome to the caller as
// unknown.
func (s *streamer) prepare(ctx context.Context, dir string) error {
	ap, ok := s.byInput[dir]
	if !ok {
		return nil
	}
	if err := s.before(ctx, ap); err != nil {
		if ctx.Err() != nil {
			return err
		}
		s.mu.Lock()
		if s.fetchErr == nil {
			s.fetchErr = err
		}
		s.mu.Unlock()
		restore.RecordTranscript(ctx, restore.Transcript{Status: FetchFailedStatus, Stderr: []byte(err.Error())})
		return &restore.CommandError{Status: FetchFailedStatus, Err: err}
	}
	return nil
}

// uploaded removes the fetched artifact at the resolved input path dir
// once its upload succeeded.
func (s *streamer) uploaded(dir string) {
	if ap, ok := s.byInput[dir]; ok {
		s.after(ap)
	}
}

// wrap returns ex with its uploads streamed, keeping the snapshot cleaner
// it may implement.
func (s *streamer) wrap(ex restore.RestoreExecutor) restore.RestoreExecutor {
	w := &streamingExecutor{RestoreExecutor: ex, s: s}
	if c, ok := ex.(restore.SnapshotCleaner); ok {
		return &streamingCleaningExecutor{streamingExecutor: w, SnapshotCleaner: c}
	}
	return w
}

// finish reports the Fetched total (and a RemoveFailed event) and adds
// the cause of a fetch that failed an upload to the run's error (a
// *VerificationFailed when the store's bytes were found bad).
func (s *streamer) finish(progress Progress, runErr error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	progress.emit(Fetched{Store: s.src.Store, Report: s.total, Took: s.took})
	if s.removeErr != nil {
		progress.emit(RemoveFailed{Dir: s.src.Dir, Err: s.removeErr})
	}
	if runErr == nil || s.fetchErr == nil {
		return runErr
	}
	err := fmt.Errorf("%w: %w", runErr, s.fetchErr)
	if integrityError(s.fetchErr) {
		return failedVerification(err)
	}
	return err
}

// streamingExecutor is a RestoreExecutor whose uploads go through a
// streamer.
type streamingExecutor struct {
	restore.RestoreExecutor
	s *streamer
}

var _ restore.ArtifactPreparer = (*streamingExecutor)(nil)

// PrepareArtifact implements restore.ArtifactPreparer: the artifact is
// fetched from the store, then staged and verified by the runner like any
// local artifact.
func (x *streamingExecutor) PrepareArtifact(ctx context.Context, dir string) error {
	return x.s.prepare(ctx, dir)
}

// ArtifactUploaded implements restore.ArtifactPreparer.
func (x *streamingExecutor) ArtifactUploaded(dir string) { x.s.uploaded(dir) }

// streamingCleaningExecutor is a streamingExecutor over an executor that
// also cleans up snapshots.
type streamingCleaningExecutor struct {
	*streamingExecutor
	restore.SnapshotCleaner
}
