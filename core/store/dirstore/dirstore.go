package dirstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/internal/atomicfile"
	"github.com/canic-backup/canic-backup/internal/ctxio"
	"github.com/canic-backup/canic-backup/internal/flock"
	"github.com/canic-backup/canic-backup/internal/platform"
)

const (
	tmpDir   = store.ReservedPrefix + "tmp"
	lockFile = store.ReservedPrefix + "lock"
)

// Store is a directory-backed store.Store.
type Store struct {
	root string
}

var _ store.Store = (*Store)(nil)

// Open returns the store rooted at root, creating the directory and its
// staging area when missing.
func Open(root string) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("dir store %q: %w", root, err)
	}
	if err := os.MkdirAll(filepath.Join(abs, tmpDir), 0o755); err != nil {
		return nil, fmt.Errorf("dir store %q: %w", root, err)
	}
	return &Store{root: abs}, nil
}

// String returns "dir:ROOT".
func (s *Store) String() string { return "dir:" + s.root }

// Root returns the absolute root directory.
func (s *Store) Root() string { return s.root }

func (s *Store) path(key string) string {
	return filepath.Join(s.root, filepath.FromSlash(key))
}

func (s *Store) opErr(op, key string, err error) error {
	return &store.OpError{Store: s.String(), Op: op, Key: key, Err: err}
}

// Put streams r to a temporary file and publishes it under key.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, opts store.PutOptions) (store.ObjectInfo, error) {
	if err := store.ValidateKey(key); err != nil {
		return store.ObjectInfo{}, s.opErr("put", key, err)
	}
	tmp, err := os.CreateTemp(filepath.Join(s.root, tmpDir), "put-*")
	if err != nil {
		return store.ObjectInfo{}, s.opErr("put", key, err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // no-op after a rename; the link case leaves it
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxio.NewReader(ctx, r))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return store.ObjectInfo{}, s.opErr("put", key, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if opts.SHA256 != "" && opts.SHA256 != sum {
		return store.ObjectInfo{}, s.opErr("put", key, &store.DigestError{Key: key, Want: opts.SHA256, Got: sum})
	}
	setSHA256(tmpName, sum)
	final := s.path(key)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return store.ObjectInfo{}, s.opErr("put", key, err)
	}
	if err := s.publish(tmpName, final, key, opts); err != nil {
		return store.ObjectInfo{}, s.opErr("put", key, err)
	}
	if err := syncDir(filepath.Dir(final)); err != nil {
		return store.ObjectInfo{}, s.opErr("put", key, err)
	}
	fi, err := os.Stat(final)
	if err != nil {
		return store.ObjectInfo{}, s.opErr("put", key, err)
	}
	return store.ObjectInfo{Key: key, Size: n, ETag: sum, SHA256: sum, Modified: fi.ModTime()}, nil
}

// publish moves tmp to final under the precondition, holding the store's
// flock so that check and rename are atomic against other publishers.
func (s *Store) publish(tmp, final, key string, opts store.PutOptions) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if opts.IfAbsent {
		if err := os.Link(tmp, final); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return store.ErrExists
			}
			return err
		}
		return nil
	}
	if opts.IfMatch != "" {
		cur, err := s.info(key, final)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: no object, expected ETag %s", store.ErrPreconditionFailed, opts.IfMatch)
		}
		if err != nil {
			return err
		}
		if cur.ETag != opts.IfMatch {
			return fmt.Errorf("%w: ETag is %s, expected %s", store.ErrPreconditionFailed, cur.ETag, opts.IfMatch)
		}
	}
	return platform.Rename(tmp, final)
}

func (s *Store) lock() (func(), error) { return flock.Wait(filepath.Join(s.root, lockFile)) }

// info stats path and returns its info, reading (or computing) its digest.
func (s *Store) info(key, path string) (store.ObjectInfo, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) || err == nil && fi.IsDir() {
		return store.ObjectInfo{}, store.ErrNotFound
	}
	if err != nil {
		return store.ObjectInfo{}, err
	}
	sum, ok := getSHA256(path)
	if !ok {
		if sum, err = hashFile(path); err != nil {
			return store.ObjectInfo{}, err
		}
	}
	return store.ObjectInfo{Key: key, Size: fi.Size(), ETag: sum, SHA256: sum, Modified: fi.ModTime()}, nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Get opens key.
func (s *Store) Get(ctx context.Context, key string) (*store.Object, error) {
	if err := store.ValidateKey(key); err != nil {
		return nil, s.opErr("get", key, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, s.opErr("get", key, err)
	}
	path := s.path(key)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, s.opErr("get", key, store.ErrNotFound)
	}
	if err != nil {
		return nil, s.opErr("get", key, err)
	}
	info, err := s.info(key, path)
	if err != nil {
		f.Close()
		return nil, s.opErr("get", key, err)
	}
	return &store.Object{Info: info, Body: f}, nil
}

// Stat returns key's info.
func (s *Store) Stat(ctx context.Context, key string) (store.ObjectInfo, error) {
	if err := store.ValidateKey(key); err != nil {
		return store.ObjectInfo{}, s.opErr("stat", key, err)
	}
	info, err := s.info(key, s.path(key))
	if err != nil {
		return store.ObjectInfo{}, s.opErr("stat", key, err)
	}
	return info, nil
}

// List walks the directory for keys starting with prefix.
func (s *Store) List(ctx context.Context, prefix string) ([]store.ObjectInfo, error) {
	var out []store.ObjectInfo
	err := filepath.WalkDir(s.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		rel, _ := filepath.Rel(s.root, path)
		key := filepath.ToSlash(rel)
		if path == s.root {
			return nil
		}
		if !strings.Contains(key, "/") && strings.HasPrefix(key, store.ReservedPrefix) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if !strings.HasPrefix(key+"/", prefix) && !strings.HasPrefix(prefix, key+"/") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasPrefix(key, prefix) || !d.Type().IsRegular() {
			return nil
		}
		info, err := s.info(key, path)
		if errors.Is(err, store.ErrNotFound) {
			return nil // deleted while listing
		}
		if err != nil {
			return err
		}
		out = append(out, info)
		return nil
	})
	if err != nil {
		return nil, s.opErr("list", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete removes key and then any directories it leaves empty.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := store.ValidateKey(key); err != nil {
		return s.opErr("delete", key, err)
	}
	path := s.path(key)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return s.opErr("delete", key, err)
	}
	for dir := filepath.Dir(path); dir != s.root && strings.HasPrefix(dir, s.root); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			break
		}
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	err := atomicfile.SyncDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
