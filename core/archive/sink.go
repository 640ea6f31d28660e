package archive

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/internal/parallel"
)

// SinkOptions tune an ArtifactSink.
type SinkOptions struct {
	// Concurrency is how many files of one artifact upload at once (0: 4).
	// s3store's part budget bounds the memory of all of them together.
	Concurrency int
	// Progress, when set, is called once per object put or skipped,
	// never concurrently.
	Progress func(PublishEvent)
}

// ArtifactSink puts the verified artifacts of a running backup into a
// store under its name, straight from their temp directories (it
// implements core/runner's ArtifactSink: Put and Has). Publish then only
// has to upload the documents and the manifest. Safe for concurrent use.
type ArtifactSink struct {
	p *publisher
	// first is when the first Put started (zero before).
	mu    sync.Mutex
	first time.Time
}

// NewArtifactSink returns the sink of backup name in s.
func NewArtifactSink(s store.Store, name string, opts SinkOptions) (*ArtifactSink, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	return &ArtifactSink{p: &publisher{s: s, name: name,
		opts:   PublishOptions{Concurrency: opts.Concurrency, Progress: opts.Progress},
		report: PublishReport{Store: s.String(), Name: name}}}, nil
}

// String names the backup in the store (STORE/NAME), for errors.
func (a *ArtifactSink) String() string { return Location(a.p.s, a.p.name) }

// ErrArtifactChecksum is matched by the error of a Put whose objects do
// not make up the artifact checksum the run recorded.
var ErrArtifactChecksum = errors.New("stored artifact does not match its checksum")

// Put uploads every regular file of the artifact directory dir (or the
// single file dir) as the object NAME/rel/<file> (NAME/rel), skipping the
// objects already there with the same size and SHA-256 and resuming
// interrupted multipart uploads (s3store), then checks that the objects'
// digests make up the artifact checksum sum (checksum.FromFileDigests) and
// deletes any other object under NAME/rel/ (left by an earlier attempt),
// so that Has agrees.
func (a *ArtifactSink) Put(ctx context.Context, rel, dir, sum string) error {
	a.mu.Lock()
	if a.first.IsZero() {
		a.first = time.Now()
	}
	a.mu.Unlock()
	key := Key(a.p.name, rel)
	if err := store.ValidateKey(key); err != nil {
		return fmt.Errorf("artifact %s: %w", rel, err)
	}
	info, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("artifact %s: %w", rel, err)
	}
	if info.Mode().IsRegular() {
		got, err := a.p.publishFile(ctx, localFile{rel: rel, path: dir, size: info.Size()})
		if err != nil {
			return err
		}
		return a.check(rel, got, sum)
	}
	files, err := artifactFiles(ctx, dir, rel)
	if err != nil {
		return err
	}
	digests := make([]checksum.FileDigest, len(files))
	err = parallel.ForEach(ctx, workers(a.p.opts.Concurrency), len(files), func(ctx context.Context, i int) error {
		got, err := a.p.publishFile(ctx, files[i])
		digests[i] = checksum.FileDigest{Rel: files[i].rel[len(rel)+1:], SHA256: got}
		return err
	})
	if err != nil {
		return err
	}
	if err := a.check(rel, checksum.FromFileDigests(digests).Hash, sum); err != nil {
		return err
	}
	return a.removeExtra(ctx, key, files)
}

// check compares the checksum of the stored artifact rel with sum.
func (a *ArtifactSink) check(rel, got, sum string) error {
	if got != sum {
		return fmt.Errorf("%w: %s: the objects put make up checksum %s, the run recorded %s",
			ErrArtifactChecksum, Location(a.p.s, Key(a.p.name, rel)), got, sum)
	}
	return nil
}

// removeExtra deletes the objects under key/ that are not files.
func (a *ArtifactSink) removeExtra(ctx context.Context, key string, files []localFile) error {
	objs, err := a.p.s.List(ctx, key+"/")
	if err != nil {
		return err
	}
	keep := make(map[string]bool, len(files))
	for _, f := range files {
		keep[Key(a.p.name, f.rel)] = true
	}
	for _, o := range objs {
		if !keep[o.Key] {
			if err := a.p.s.Delete(ctx, o.Key); err != nil {
				return err
			}
		}
	}
	return nil
}

// Has reports whether the store holds the artifact rel with checksum sum:
// the objects under NAME/rel/ (or the object NAME/rel) whose recorded
// SHA-256 digests make up sum. A digest the listing leaves out is read
// with Stat; none is read from the bytes (Verify does that).
func (a *ArtifactSink) Has(ctx context.Context, rel, sum string) (bool, error) {
	key := Key(a.p.name, rel)
	if err := store.ValidateKey(key); err != nil {
		return false, fmt.Errorf("artifact %s: %w", rel, err)
	}
	listed, err := a.p.s.List(ctx, key)
	if err != nil {
		return false, err
	}
	byKey := make(map[string]store.ObjectInfo, len(listed))
	for _, o := range listed {
		byKey[o.Key] = o
	}
	objs := ArtifactObjects(a.p.name, rel, byKey)
	if len(objs) == 0 {
		return false, nil
	}
	digests := make([]checksum.FileDigest, 0, len(objs))
	for _, o := range objs {
		if o.SHA256 == "" {
			if o, err = a.p.s.Stat(ctx, o.Key); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return false, nil
				}
				return false, err
			}
			if o.SHA256 == "" {
				return false, nil
			}
		}
		if o.Key == key {
			return len(objs) == 1 && o.SHA256 == sum, nil
		}
		digests = append(digests, checksum.FileDigest{Rel: o.Key[len(key)+1:], SHA256: o.SHA256})
	}
	return checksum.FromFileDigests(digests).Hash == sum, nil
}

// Report sums up what the sink put so far (Objects and Bytes count the
// objects put or found; Duration runs from the first Put until now).
func (a *ArtifactSink) Report() PublishReport {
	a.p.mu.Lock()
	rep := a.p.report
	a.p.mu.Unlock()
	rep.Objects = rep.Uploaded + rep.Skipped
	a.mu.Lock()
	if !a.first.IsZero() {
		rep.Duration = time.Since(a.first)
	}
	a.mu.Unlock()
	return rep
}

// artifactFiles lists the regular files of the artifact directory dir as
// files of the backup (rel/<file>); any other entry is an error, as for
// its checksum.
func artifactFiles(ctx context.Context, dir, rel string) ([]localFile, error) {
	var files []localFile
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("artifact %s: read %s: %w", rel, path, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("artifact %s: %w", rel, checksum.NewEntryError(path, d.Type()))
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("artifact %s: stat %s: %w", rel, path, err)
		}
		r, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files = append(files, localFile{rel: rel + "/" + filepath.ToSlash(r), path: path, size: info.Size()})
		return nil
	})
	return files, err
}
