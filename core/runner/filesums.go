package runner

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/canic-backup/canic-backup/core/checksum"
)

// FileChecksumFunc receives the SHA-256 of one file a download wrote: rel
// is its '/'-separated path relative to the download directory, size its
// length in bytes.
type FileChecksumFunc func(rel, sha256Hex string, size int64)

type fileChecksumKey struct{}

// ReportFileChecksum tells the run that the current snapshot download wrote
// the file rel (relative to the download directory, '/'-separated) of size
// bytes whose SHA-256 is sha256Hex, hashed while it was written. When every
// file of the download is reported, verify-artifact computes the artifact's
// checksum from these digests instead of reading the files again. Executors
// call it from DownloadSnapshot; it does nothing when the run does not ask.
// A file reported twice keeps the last report.
func ReportFileChecksum(ctx context.Context, rel, sha256Hex string, size int64) {
	if f, ok := ctx.Value(fileChecksumKey{}).(FileChecksumFunc); ok && f != nil {
		f(rel, sha256Hex, size)
	}
}

// WithFileChecksums returns ctx carrying f for ReportFileChecksum.
func WithFileChecksums(ctx context.Context, f FileChecksumFunc) context.Context {
	return context.WithValue(ctx, fileChecksumKey{}, f)
}

// fileDigest is one reported file.
type fileDigest struct {
	hash string
	size int64
}

// fileSums collects the digests of one download.
type fileSums struct {
	mu    sync.Mutex
	files map[string]fileDigest
}

func newFileSums() *fileSums { return &fileSums{files: map[string]fileDigest{}} }

func withFileSums(ctx context.Context, s *fileSums) context.Context {
	return WithFileChecksums(ctx, func(rel, h string, size int64) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.files[filepath.ToSlash(rel)] = fileDigest{hash: strings.ToLower(h), size: size}
	})
}

// downloadSums keeps, per canister, the digests of this run's finished
// downloads until their verify-artifact. Safe for concurrent use.
type downloadSums struct {
	mu   sync.Mutex
	byID map[string]*fileSums
}

func (d *downloadSums) keep(id string, s *fileSums) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.byID == nil {
		d.byID = map[string]*fileSums{}
	}
	d.byID[id] = s
}

func (d *downloadSums) forget(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.byID, id)
}

func (d *downloadSums) get(id string) *fileSums {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.byID[id]
}

// treeSum returns the directory checksum of root from the digests reported
// for canister id, if the reports cover root exactly: every regular file
// under root reported with its current size, nothing reported that is not
// there, and no entry other than regular files and directories. It reads
// no file contents (only the directory tree's metadata). ok is false when
// the reports cannot be trusted to describe root; the caller then reads
// every file.
func (d *downloadSums) treeSum(id, root string) (string, bool) {
	s := d.get(id)
	if s == nil {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.files) == 0 {
		return "", false
	}
	var t checksum.Tree
	ok := true
	err := filepath.WalkDir(root, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == root {
			return nil
		}
		switch {
		case de.IsDir():
			return nil
		case !de.Type().IsRegular():
			ok = false
			return filepath.SkipAll
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		fd, found := s.files[rel]
		info, err := os.Lstat(path)
		if err != nil {
			return err
		}
		if !found || info.Size() != fd.size || !checksum.IsHex64(fd.hash) {
			ok = false
			return filepath.SkipAll
		}
		t.Add(rel, fd.hash)
		return nil
	})
	if err != nil || !ok || t.Len() != len(s.files) {
		return "", false
	}
	return t.Sum(), true
}
