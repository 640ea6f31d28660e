package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/verify"
)

// newStoreDocs reads the documents of backup name in the store of sc.
func newStoreDocs(ctx context.Context, sc *storeChoice, name string) *archive.StoreDocs {
	return archive.NewStoreDocs(ctx, sc.Store, name, sc.URL(name))
}

// errDocMissing is matched when a document a command needs is missing.
var errDocMissing = errors.New("document is missing")

// readCheckedDocs is readCheckedRun for any archive.Docs: the plan and
// execution journal (both required, validated, checked against each
// other) and the layout status they give with the manifest's presence.
func readCheckedDocs(docs archive.Docs) (checkedRun, error) {
	for _, f := range []string{verify.PlanFile, verify.ExecutionJournalFile} {
		ok, err := docs.Has(f)
		if err != nil {
			return checkedRun{}, err
		}
		if !ok {
			return checkedRun{}, fmt.Errorf("%w: %s is missing", errDocMissing, docs.Where(f))
		}
	}
	var p plan.BackupPlan
	if err := archive.DecodeDoc(docs, verify.PlanFile, &p); err != nil {
		return checkedRun{}, err
	}
	var j journal.BackupExecutionJournal
	if err := archive.DecodeDoc(docs, verify.ExecutionJournalFile, &j); err != nil {
		return checkedRun{}, err
	}
	if _, err := verify.Execution(&p, &j); err != nil {
		return checkedRun{}, fmt.Errorf("%s: %w", docs.Where(verify.ExecutionJournalFile), err)
	}
	hasManifest, err := docs.Has(verify.ManifestFile)
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
