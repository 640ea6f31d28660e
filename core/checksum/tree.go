package checksum

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Tree accumulates the per-file digests of a directory artifact and computes
// the directory checksum. Files may be added in any order; Sum orders them.
// A downloader can feed it from Writer sums to checksum a tree while writing.
type Tree struct {
	entries []treeEntry
}

type treeEntry struct {
	rel  string
	hash string
}

// Add records one file: rel is its path relative to the artifact root with
// '/' separators, fileHash its lower-case hex SHA-256.
func (t *Tree) Add(rel, fileHash string) {
	t.entries = append(t.entries, treeEntry{rel: rel, hash: fileHash})
}

// Len returns the number of files recorded.
func (t *Tree) Len() int { return len(t.entries) }

// Sum returns the directory checksum hash: SHA-256 over, for each file in
// component-wise path order, its relative path (non-UTF-8 bytes replaced as
// Rust's from_utf8_lossy does), a NUL byte, its hex digest and a newline.
func (t *Tree) Sum() string {
	sorted := slices.Clone(t.entries)
	slices.SortStableFunc(sorted, func(a, b treeEntry) int { return ComparePaths(a.rel, b.rel) })
	h := sha256.New()
	for _, e := range sorted {
		h.Write([]byte(lossyUTF8(e.rel)))
		h.Write([]byte{0})
		h.Write([]byte(e.hash))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ComparePaths orders two '/'-separated relative paths as Rust's PathBuf
// does: component by component, each component compared as bytes. So
// "a/b" < "a-b" < "a.c" although '-' and '.' sort before '/' bytewise.
func ComparePaths(a, b string) int {
	for {
		ca, ra, moreA := nextComponent(a)
		cb, rb, moreB := nextComponent(b)
		switch {
		case !moreA && !moreB:
			return 0
		case !moreA:
			return -1
		case !moreB:
			return 1
		}
		if c := strings.Compare(ca, cb); c != 0 {
			return c
		}
		a, b = ra, rb
	}
}

// nextComponent splits off the first non-empty, non-"." component of p.
func nextComponent(p string) (comp, rest string, ok bool) {
	for p != "" {
		i := strings.IndexByte(p, '/')
		if i < 0 {
			comp, p = p, ""
		} else {
			comp, p = p[:i], p[i+1:]
		}
		if comp != "" && comp != "." {
			return comp, p, true
		}
	}
	return "", "", false
}

// FromDirectory returns the checksum of the directory tree at root. Only
// regular files and directories are allowed inside; a symbolic link, socket,
// named pipe or device is an *EntryError naming its path. Empty directories
// contribute nothing. Files are hashed concurrently.
func FromDirectory(ctx context.Context, root string) (Checksum, error) {
	var files []string
	if err := collectFiles(ctx, root, "", &files); err != nil {
		return Checksum{}, err
	}
	hashes, err := hashFiles(ctx, root, files)
	if err != nil {
		return Checksum{}, err
	}
	var t Tree
	for i, rel := range files {
		t.Add(rel, hashes[i])
	}
	return Checksum{Algorithm: Algorithm, Hash: t.Sum()}, nil
}

// collectFiles appends the '/'-separated relative paths of the regular files
// under root/rel.
func collectFiles(ctx context.Context, root, rel string, files *[]string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := filepath.Join(root, filepath.FromSlash(rel))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("checksum %s: %w", dir, err)
	}
	for _, e := range entries {
		childRel := e.Name()
		if rel != "" {
			childRel = rel + "/" + e.Name()
		}
		switch mode := e.Type(); {
		case mode.IsDir():
			if err := collectFiles(ctx, root, childRel, files); err != nil {
				return err
			}
		case mode.IsRegular():
			*files = append(*files, childRel)
		default:
			return NewEntryError(filepath.Join(root, filepath.FromSlash(childRel)), mode)
		}
	}
	return nil
}

// hashFiles hashes root/files[i] into the returned slice, with a few
// workers. The error of the first bad file in path order is returned: after
// a failure at index i, files after i are abandoned but files before it are
// still hashed, so the result does not depend on scheduling.
func hashFiles(ctx context.Context, root string, files []string) ([]string, error) {
	hashes := make([]string, len(files))
	errs := make([]error, len(files))
	var firstBad atomic.Int64
	firstBad.Store(int64(len(files)))
	workers := min(runtime.GOMAXPROCS(0), 4, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, BufferSize)
			for i := range next {
				abandon := func() bool { return firstBad.Load() < int64(i) }
				if abandon() {
					continue
				}
				path := filepath.Join(root, filepath.FromSlash(files[i]))
				hashes[i], errs[i] = hashRegular(ctx, path, buf, abandon)
				if errs[i] != nil && !errors.Is(errs[i], errAbandoned) {
					for {
						cur := firstBad.Load()
						if cur <= int64(i) || firstBad.CompareAndSwap(cur, int64(i)) {
							break
						}
					}
				}
			}
		}()
	}
	for i := range files {
		if ctx.Err() != nil || firstBad.Load() < int64(i) {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if i := firstBad.Load(); i < int64(len(files)) {
		return nil, errs[i]
	}
	return hashes, nil
}

// hashRegular re-checks that path is still a regular file (it may have been
// swapped for a symlink since it was listed) and hashes it.
func hashRegular(ctx context.Context, path string, buf []byte, abandon func() bool) (string, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return "", fmt.Errorf("checksum %s: %w", path, err)
	}
	if err := requireRegular(path, info); err != nil {
		return "", err
	}
	return hashFile(ctx, path, buf, abandon)
}

// FromPath returns the checksum of a directory tree or a single file. The
// path itself must not be a symbolic link or special file.
func FromPath(ctx context.Context, path string) (Checksum, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return Checksum{}, fmt.Errorf("checksum %s: %w", path, err)
	}
	if info.IsDir() {
		return FromDirectory(ctx, path)
	}
	return FromFile(ctx, path)
}

// FromPathWithFiles is FromPath that also returns, for a directory, the
// digest of each of its files (for a single file, files is nil), so a
// later change can be traced to the file that changed.
func FromPathWithFiles(ctx context.Context, path string) (Checksum, []FileDigest, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return Checksum{}, nil, fmt.Errorf("checksum %s: %w", path, err)
	}
	if !info.IsDir() {
		sum, err := FromFile(ctx, path)
		return sum, nil, err
	}
	var files []string
	if err := collectFiles(ctx, path, "", &files); err != nil {
		return Checksum{}, nil, err
	}
	hashes, err := hashFiles(ctx, path, files)
	if err != nil {
		return Checksum{}, nil, err
	}
	digests := make([]FileDigest, len(files))
	for i, rel := range files {
		digests[i] = FileDigest{Rel: rel, SHA256: hashes[i]}
	}
	return FromFileDigests(digests), digests, nil
}
