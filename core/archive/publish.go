package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/internal/parallel"
)

// DowntimeFile is the runner's downtime record (runner.DowntimeFile; not
// imported to keep core/archive below core/runner).
const DowntimeFile = "backup-downtime.json"

// Documents are the file names of a backup's documents, directly under
// its root; every other file is an artifact file. The manifest is last.
var Documents = []string{
	layout.PlanFile,
	layout.ExecutionJournalFile,
	layout.DownloadJournalFile,
	DowntimeFile,
	layout.ManifestFile,
}

// IsDocument reports whether rel (slash-separated, relative to the backup
// root) names one of the Documents.
func IsDocument(rel string) bool { return slices.Contains(Documents, rel) }

// ErrUnsupportedEntry is matched by errors about a symbolic link or special
// file in a backup directory being published.
var ErrUnsupportedEntry = checksum.ErrUnsupportedEntry

// localFile is one file of a backup directory to publish.
type localFile struct {
	rel  string // slash-separated, relative to the backup root
	path string
	size int64
}

// skipEntry reports whether a directory entry is not part of the backup:
// lock files, in-flight temp entries and reserved names.
func skipEntry(name string) bool {
	return strings.HasSuffix(name, layout.LockSuffix) ||
		strings.HasSuffix(name, layout.TempSuffix) ||
		strings.HasPrefix(name, store.ReservedPrefix)
}

// scanDir lists the files of the backup directory dir, split into artifact
// files and documents (in Documents order).
func scanDir(ctx context.Context, dir string) (artifacts, docs []localFile, err error) {
	byDoc := map[string]localFile{}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("publish: read %s: %w", path, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if path == dir {
			return nil
		}
		if skipEntry(d.Name()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		mode := d.Type()
		if mode.IsDir() {
			return nil
		}
		if !mode.IsRegular() {
			return fmt.Errorf("publish %s: %w", dir, checksum.NewEntryError(path, mode))
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("publish: stat %s: %w", path, err)
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		f := localFile{rel: filepath.ToSlash(rel), path: path, size: info.Size()}
		if IsDocument(f.rel) {
			byDoc[f.rel] = f
		} else {
			artifacts = append(artifacts, f)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for _, name := range Documents {
		if f, ok := byDoc[name]; ok {
			docs = append(docs, f)
		}
	}
	return artifacts, docs, nil
}

// Publish uploads the complete backup directory dir to s under name:
// artifact files first (every regular file below dir except the documents,
// lock files and in-flight temp entries), then the plan, journals and
// downtime record, and the manifest last with a conditional create. It is
// idempotent and resumable: an object already published with the same size
// and SHA-256 is skipped, an interrupted multipart upload continues where it
// stopped (s3store), and a manifest already in the store is accepted only if
// identical. A backup without a manifest is refused (ErrIncomplete).
func Publish(ctx context.Context, s store.Store, name, dir string, opts PublishOptions) (*PublishReport, error) {
	start := time.Now()
	if err := checkName(name); err != nil {
		return nil, err
	}
	ok, err := layout.New(dir).HasManifest()
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", dir, err)
	}
	if !ok {
		return nil, fmt.Errorf("publish %s: %w: %s is missing", dir, ErrIncomplete, layout.ManifestFile)
	}
	artifacts, docs, err := scanDir(ctx, dir)
	if err != nil {
		return nil, err
	}
	p := &publisher{s: s, name: name, opts: opts,
		report: PublishReport{Store: s.String(), Name: name, Objects: len(artifacts) + len(docs)}}
	for _, f := range artifacts {
		p.report.Bytes += f.size
	}
	for _, f := range docs {
		p.report.Bytes += f.size
	}

	err = parallel.ForEach(ctx, workers(opts.Concurrency), len(artifacts), func(ctx context.Context, i int) error {
		f := artifacts[i]
		sum, err := p.publishFile(ctx, f)
		if err != nil {
			return err
		}
		if opts.RemoveLocal {
			return removeConfirmed(f, sum)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, f := range docs {
		if f.rel == layout.ManifestFile {
			err = p.publishManifest(ctx, f)
		} else {
			_, err = p.publishFile(ctx, f)
		}
		if err != nil {
			return nil, err
		}
	}
	if opts.RemoveLocal {
		removeEmptyDirs(dir, artifacts)
	}
	p.report.Duration = time.Since(start)
	return &p.report, nil
}

type publisher struct {
	s    store.Store
	name string
	opts PublishOptions

	mu     sync.Mutex
	report PublishReport
}

// done records one object's outcome and reports it to Progress.
func (p *publisher) done(key string, size int64, skipped bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if skipped {
		p.report.Skipped++
	} else {
		p.report.Uploaded++
		p.report.UploadedBytes += size
	}
	if p.opts.Progress != nil {
		p.opts.Progress(PublishEvent{Key: key, Bytes: size, Skipped: skipped})
	}
}

// publishFile puts f unless an identical object is already there, and
// returns the SHA-256 the published object has (equal to the local file's).
func (p *publisher) publishFile(ctx context.Context, f localFile) (string, error) {
	key := Key(p.name, f.rel)
	info, err := p.s.Stat(ctx, key)
	switch {
	case err == nil && info.Size == f.size && info.SHA256 != "":
		sum, err := hashFile(ctx, f.path)
		if err != nil {
			return "", err
		}
		if sum == info.SHA256 {
			p.done(key, f.size, true)
			return sum, nil
		}
		// Same size, other bytes: replace, and insist on the local digest.
		return p.put(ctx, f, key, sum)
	case err == nil || errors.Is(err, store.ErrNotFound):
		return p.put(ctx, f, key, "")
	default:
		return "", err
	}
}

func (p *publisher) put(ctx context.Context, f localFile, key, sum string) (string, error) {
	r, err := os.Open(f.path)
	if err != nil {
		return "", fmt.Errorf("publish %s to %s %q: %w", f.path, p.s, key, err)
	}
	defer r.Close()
	info, err := p.s.Put(ctx, key, r, store.PutOptions{SHA256: sum})
	if err != nil {
		return "", fmt.Errorf("publish %s: %w", f.path, err)
	}
	if sum != "" && info.SHA256 != sum {
		return "", fmt.Errorf("publish %s: %w", f.path, &store.DigestError{Key: key, Want: sum, Got: info.SHA256})
	}
	p.done(key, info.Size, false)
	return info.SHA256, nil
}

// publishManifest creates the manifest object; one already there is
// accepted only if it has the same SHA-256.
func (p *publisher) publishManifest(ctx context.Context, f localFile) error {
	key := Key(p.name, f.rel)
	data, err := layout.ReadDocument(f.path, layout.MaxDocumentSize)
	if err != nil {
		return fmt.Errorf("publish %s: %w", f.path, err)
	}
	sum := sha256Hex(data)
	info, err := p.s.Put(ctx, key, bytes.NewReader(data), store.PutOptions{IfAbsent: true, SHA256: sum, ContentType: "application/json"})
	if err == nil {
		p.done(key, info.Size, false)
		return nil
	}
	if !errors.Is(err, store.ErrExists) {
		return fmt.Errorf("publish %s: %w", f.path, err)
	}
	info, err = p.s.Stat(ctx, key)
	if err != nil {
		return fmt.Errorf("publish %s: %w", f.path, err)
	}
	if info.SHA256 != sum {
		return fmt.Errorf("publish %s: %w: %s %q already holds a different manifest (sha256 %s, local %s)",
			f.path, ErrManifestConflict, p.s, key, info.SHA256, sum)
	}
	p.done(key, info.Size, true)
	return nil
}

// ErrManifestConflict is matched when the store already holds another
// manifest under the backup's name.
var ErrManifestConflict = errors.New("a different backup is published under this name")

// removeConfirmed deletes the local artifact file f once its object is
// known to hold the same bytes (sum is the published SHA-256, computed from
// this file's stream or compared with its hash).
func removeConfirmed(f localFile, sum string) error {
	if sum == "" {
		return nil
	}
	if err := os.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("publish: remove local %s: %w", f.path, err)
	}
	return nil
}

// removeEmptyDirs removes the directories below dir that held artifact
// files and are empty now, deepest first. Failures leave a directory be.
func removeEmptyDirs(dir string, files []localFile) {
	seen := map[string]bool{}
	var dirs []string
	for _, f := range files {
		for d := filepath.Dir(f.path); d != dir && strings.HasPrefix(d, dir) && !seen[d]; d = filepath.Dir(d) {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	slices.SortFunc(dirs, func(a, b string) int { return len(b) - len(a) })
	for _, d := range dirs {
		_ = os.Remove(d) // fails, as wanted, when not empty
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// hashFile returns the hex SHA-256 of the file at path.
func hashFile(ctx context.Context, path string) (string, error) {
	c, err := checksum.FromFile(ctx, path)
	if err != nil {
		return "", err
	}
	return c.Hash, nil
}
