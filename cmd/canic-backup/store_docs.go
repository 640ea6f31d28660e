package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/verify"
	"github.com/canic-backup/canic-backup/core/wire"
)

// backupDocs reads the documents of one backup, wherever it lives: a
// backup directory (dirDocs) or a backup in a remote store (storeDocs).
// `backup list`, `inspect` and `prune` build their rows from these bytes.
type backupDocs interface {
	// has reports whether the document file exists; an error means the
	// question could not be answered (I/O, network).
	has(file string) (bool, error)
	// read returns the document's bytes; an error here makes the document
	// invalid (unreadable, digest mismatch), not the command fail.
	read(file string) ([]byte, error)
	// where names the document for messages.
	where(file string) string
}

// dirDocs reads the documents of a backup directory.
type dirDocs string

func (d dirDocs) path(file string) string       { return filepath.Join(string(d), file) }
func (d dirDocs) has(file string) (bool, error) { return layout.Exists(d.path(file)) }
func (d dirDocs) read(file string) ([]byte, error) {
	return layout.ReadDocument(d.path(file), layout.MaxDocumentSize)
}
func (d dirDocs) where(file string) string { return d.path(file) }

// storeDocs reads the documents of the backup name in a store, each once
// (archive.ReadDocument checks the recorded SHA-256 while reading).
type storeDocs struct {
	ctx  context.Context
	s    store.Store
	name string
	url  string

	mu    sync.Mutex
	cache map[string]storeDoc
}

type storeDoc struct {
	data  []byte
	found bool
	err   error // content error: the document is invalid
	fatal error // the store could not be asked
}

func newStoreDocs(ctx context.Context, sc *storeChoice, name string) *storeDocs {
	return &storeDocs{ctx: ctx, s: sc.Store, name: name, url: sc.URL(name), cache: map[string]storeDoc{}}
}

func (d *storeDocs) get(file string) storeDoc {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r, ok := d.cache[file]; ok {
		return r
	}
	data, err := archive.ReadDocument(d.ctx, d.s, d.name, file)
	var r storeDoc
	switch {
	case err == nil:
		r = storeDoc{data: data, found: true}
	case errors.Is(err, store.ErrNotFound):
	case errors.Is(err, store.ErrDigestMismatch):
		r = storeDoc{found: true, err: err}
	default:
		r = storeDoc{fatal: err}
	}
	d.cache[file] = r
	return r
}

func (d *storeDocs) has(file string) (bool, error) {
	r := d.get(file)
	return r.found, r.fatal
}

func (d *storeDocs) read(file string) ([]byte, error) {
	r := d.get(file)
	switch {
	case r.fatal != nil:
		return nil, r.fatal
	case !r.found:
		return nil, fmt.Errorf("%s: %w", d.where(file), store.ErrNotFound)
	}
	return r.data, r.err
}

func (d *storeDocs) where(file string) string { return d.url + "/" + file }

// validated is a document type with a Validate method.
type validated interface{ Validate() error }

// decodeDoc reads, decodes (strict wire JSON) and validates the document
// file into v; errors name the document.
func decodeDoc(docs backupDocs, file string, v validated) error {
	data, err := docs.read(file)
	if err != nil {
		return fmt.Errorf("read %s: %w", docs.where(file), err)
	}
	if err := wire.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s: %w", docs.where(file), err)
	}
	if err := v.Validate(); err != nil {
		return fmt.Errorf("%s: %w", docs.where(file), err)
	}
	return nil
}

// errDocMissing is matched when a document a command needs is missing.
var errDocMissing = errors.New("document is missing")

// readCheckedDocs is readCheckedRun for any backupDocs: the plan and
// execution journal (both required, validated, checked against each
// other) and the layout status they give with the manifest's presence.
func readCheckedDocs(docs backupDocs) (checkedRun, error) {
	for _, f := range []string{verify.PlanFile, verify.ExecutionJournalFile} {
		ok, err := docs.has(f)
		if err != nil {
			return checkedRun{}, err
		}
		if !ok {
			return checkedRun{}, fmt.Errorf("%w: %s is missing", errDocMissing, docs.where(f))
		}
	}
	var p plan.BackupPlan
	if err := decodeDoc(docs, verify.PlanFile, &p); err != nil {
		return checkedRun{}, err
	}
	var j journal.BackupExecutionJournal
	if err := decodeDoc(docs, verify.ExecutionJournalFile, &j); err != nil {
		return checkedRun{}, err
	}
	if _, err := verify.Execution(&p, &j); err != nil {
		return checkedRun{}, fmt.Errorf("%s: %w", docs.where(verify.ExecutionJournalFile), err)
	}
	hasManifest, err := docs.has(verify.ManifestFile)
	if err != nil {
		return checkedRun{}, err
	}
	return checkedRun{plan: &p, journal: &j, status: verify.Status(&j, hasManifest)}, nil
}

// listStatusIncomplete labels a stored backup with objects but neither
// manifest nor plan (a publish that has not reached its documents yet).
const listStatusIncomplete = "incomplete"

// storeListConcurrency is how many stored backups' documents are read at
// once by list and prune.
const storeListConcurrency = 8

// scanStore reads every backup in a remote store (archive.List), sorted
// newest first like scanBackups; Dir is the backup's URL
// (s3://bucket/prefix/NAME).
func scanStore(ctx context.Context, sc *storeChoice) ([]backupEntry, error) {
	backups, err := archive.List(ctx, sc.Store)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", sc.Store, err)
	}
	out := make([]backupEntry, len(backups))
	errs := make([]error, len(backups))
	sem := make(chan struct{}, storeListConcurrency)
	var wg sync.WaitGroup
	for i, b := range backups {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			entry, ok, err := classifyBackup(sc.URL(b.Name), newStoreDocs(ctx, sc, b.Name))
			if err != nil {
				errs[i] = fmt.Errorf("read backup %s in %s: %w", b.Name, sc.Store, err)
				return
			}
			if !ok {
				entry.Status = listStatusIncomplete
			}
			entry.name = b.Name
			entry.modified, entry.hasManifest = b.Modified, b.HasManifest
			out[i] = entry
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sortEntries(out)
	return out, nil
}

// sortEntries orders backups newest first by created_at (then by Dir,
// descending), as 0.35.1's list did.
func sortEntries(out []backupEntry) {
	sort.SliceStable(out, func(i, k int) bool {
		a, b := sortKey(out[i].CreatedAt), sortKey(out[k].CreatedAt)
		if a != b {
			return a > b
		}
		return out[i].Dir > out[k].Dir
	})
}

// checkBackupName refuses a --backup name that is not one path segment.
func checkBackupName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || strings.ContainsRune(name, 0) {
		return usagef("--backup %q: not a backup name (one path segment, as `backup list --store` prints it)", name)
	}
	return nil
}
