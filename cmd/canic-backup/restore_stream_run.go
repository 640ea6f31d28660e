package main

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

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/restore"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/wire"
)

// fetchFailedStatus is the status label of an upload that did not run
// because its artifact could not be fetched from the store.
const fetchFailedStatus = "fetch-failed"

// fetchedSuffix names the file next to an apply journal that lists the
// artifacts `restore run --store` fetched into the journal's backup_root
// and has not removed yet, so that a run that crashed in between removes
// them (or reuses them) next time and never removes files it did not put
// there.
const fetchedSuffix = ".fetched"

// fetchedRecord is the document at <journal>.fetched.
type fetchedRecord struct {
	BackupRoot string   `json:"backup_root"`
	Artifacts  []string `json:"artifacts"`
}

// restoreStreamer makes `restore run --execute --store` need local disk for
// the artifact in flight only: each upload's artifact is fetched into the
// journal's backup_root (verified while it streams; files already there
// with the right SHA-256 are kept) just before the upload and, unless
// keep, removed right after it when this command put it there.
type restoreStreamer struct {
	src     *restoreSource
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

// restoreRunStreamer prepares the streaming of the journal's artifacts from
// the store the command names: nil when no store is named or the journal
// reads a dir store's own directory. It checks the journal, fetches the
// backup's documents into backup_root (the runner reads the manifest), and
// removes artifacts an earlier run fetched whose uploads are all done.
func restoreRunStreamer(c *cli.Context, e env, journalPath string) (*restoreStreamer, error) {
	if !restoreStoreWanted(c) {
		return nil, nil
	}
	j, err := restore.ReadJournal(journalPath)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	if j.BackupRoot == nil {
		return nil, usagef("%s: --store: journal %s records no backup_root (restore apply ran without --backup-dir or --store), so there is nothing to fetch into",
			commandName(c), journalPath)
	}
	root := *j.BackupRoot
	name := c.String("backup")
	if name == "" {
		name = filepath.Base(filepath.Clean(root))
	}
	if err := restoreCheckBackupName(c, name); err != nil {
		return nil, err
	}
	sc, err := openRestoreStore(c, e, c.String("env"))
	if err != nil {
		return nil, err
	}
	if d := sc.Dir(); d != "" && restoreSameDir(filepath.Join(d, name), root) {
		return nil, nil // the journal reads the dir store's own directory
	}
	s := &restoreStreamer{
		src:     &restoreSource{choice: sc, name: name, dir: root},
		keep:    c.Bool("keep-fetched"),
		record:  journalPath + fetchedSuffix,
		byInput: map[string]string{},
		owned:   map[string]bool{},
	}
	needed := map[string]bool{}
	for _, op := range j.Operations {
		if op.Operation != restore.OpUploadSnapshot || op.State == restore.StateCompleted || op.ArtifactPath == nil {
			continue
		}
		in, err := restore.ResolveArtifact(root, op.SourceCanister, *op.ArtifactPath)
		if err != nil {
			return nil, err
		}
		s.byInput[in] = *op.ArtifactPath
		needed[*op.ArtifactPath] = true
	}
	if err := s.fetchDocuments(c.Context); err != nil {
		return nil, err
	}
	if err := s.loadRecord(needed); err != nil {
		return nil, err
	}
	return s, nil
}

// fetchDocuments fetches the backup's documents into backup_root (kept
// when already there) and refuses a backup without a manifest.
func (s *restoreStreamer) fetchDocuments(ctx context.Context) error {
	r := s.src
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return fmt.Errorf("restore run: create %s: %w", r.dir, err)
	}
	start := time.Now()
	rep, err := archive.Fetch(ctx, r.choice.Store, r.name, r.dir, archive.FetchOptions{})
	s.took += time.Since(start)
	if err != nil {
		err = fmt.Errorf("restore run: fetch the documents of backup %s from %s into %s: %w", r.name, r.choice.Store, r.dir, err)
		if restoreIntegrityError(err) {
			return verifyFailed(err)
		}
		return err
	}
	s.docs, s.total = *rep, *rep
	if _, err := os.Stat(filepath.Join(r.dir, layout.ManifestFile)); err != nil {
		return fmt.Errorf("restore run: backup %s in %s has no %s (not there or incomplete; see `backup list --store %s`): %w",
			r.name, r.choice.Store, layout.ManifestFile, r.choice.Name, store.ErrNotFound)
	}
	return nil
}

// loadRecord reads <journal>.fetched: artifacts an earlier run fetched and
// did not remove. Those still needed are owned again (reused if intact,
// removed after their upload); the others are removed now, unless keep.
func (s *restoreStreamer) loadRecord(needed map[string]bool) error {
	data, err := layout.ReadDocument(s.record, layout.MaxDocumentSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore run: read %s: %w", s.record, err)
	}
	var rec fetchedRecord
	if err := wire.Unmarshal(data, &rec); err != nil {
		return fmt.Errorf("restore run: %s: %w", s.record, err)
	}
	if !restoreSameDir(rec.BackupRoot, s.src.dir) {
		return nil // another backup directory's record: not ours to act on
	}
	for _, ap := range rec.Artifacts {
		if _, err := restore.ResolveArtifact(s.src.dir, "", ap); err != nil {
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
func (s *restoreStreamer) saveRecord() error {
	if len(s.owned) == 0 {
		if err := os.Remove(s.record); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restore run: remove %s: %w", s.record, err)
		}
		return nil
	}
	rec := fetchedRecord{BackupRoot: s.src.dir, Artifacts: make([]string, 0, len(s.owned))}
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
func (s *restoreStreamer) local(ap string) string {
	return filepath.Join(s.src.dir, filepath.FromSlash(ap))
}

// before fetches the artifact ap into backup_root, first recording it as
// ours when nothing of it is there yet.
func (s *restoreStreamer) before(ctx context.Context, ap string) error {
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
		ix, err := archive.IndexBackup(ctx, r.choice.Store, r.name)
		if err != nil {
			return fmt.Errorf("list backup %s in %s: %w", r.name, r.choice.Store, err)
		}
		s.index = ix
	}
	rep, err := archive.Fetch(ctx, r.choice.Store, r.name, r.dir, archive.FetchOptions{Artifacts: []string{ap}, Index: s.index})
	s.took += time.Since(start)
	if err != nil {
		err = fmt.Errorf("fetch artifact %s of backup %s from %s into %s: %w", ap, r.name, r.choice.Store, r.dir, err)
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

// after removes the artifact ap once it was uploaded, when this command
// fetched it and --keep-fetched is not set. A failed removal does not fail
// the upload; it is reported at the end of the run.
func (s *restoreStreamer) after(ap string) {
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
func (s *restoreStreamer) prepare(ctx context.Context, dir string) error {
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
		restore.RecordTranscript(ctx, restore.Transcript{Status: fetchFailedStatus, Stderr: []byte(err.Error())})
		return &restore.CommandError{Status: fetchFailedStatus, Err: err}
	}
	return nil
}

// uploaded removes the fetched artifact at the resolved input path dir
// once its upload succeeded.
func (s *restoreStreamer) uploaded(dir string) {
	if ap, ok := s.byInput[dir]; ok {
		s.after(ap)
	}
}

// wrap returns ex with its uploads streamed, keeping the snapshot cleaner
// it may implement.
func (s *restoreStreamer) wrap(ex restore.RestoreExecutor) restore.RestoreExecutor {
	w := &streamingExecutor{RestoreExecutor: ex, s: s}
	if c, ok := ex.(restore.SnapshotCleaner); ok {
		return &streamingCleaningExecutor{streamingExecutor: w, SnapshotCleaner: c}
	}
	return w
}

// finish writes the `fetched ...` summary line to stderr and adds the
// cause of a fetch that failed an upload to the run's error (exit 3 when
// the store's bytes were found bad).
func (s *restoreStreamer) finish(e env, runErr error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rep := s.total
	restorePrintFetched(e, s.src.choice.Store, &rep, s.took)
	if s.removeErr != nil {
		fmt.Fprintf(e.stderr, "warning: restore run: could not remove a fetched artifact from %s: %v\n", s.src.dir, s.removeErr)
	}
	if runErr == nil || s.fetchErr == nil {
		return runErr
	}
	err := fmt.Errorf("%w: %w", runErr, s.fetchErr)
	if restoreIntegrityError(s.fetchErr) {
		return verifyFailed(err)
	}
	return err
}

// streamingExecutor is a RestoreExecutor whose uploads go through a
// restoreStreamer.
type streamingExecutor struct {
	restore.RestoreExecutor
	s *restoreStreamer
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
