package dfx

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/canic-backup/canic-backup/internal/atomicfile"
)

// WithUploadStateDir keeps upload staging directories in dir instead of
// os.UserCacheDir()/canic-backup/uploads (tests, read-only homes).
func WithUploadStateDir(dir string) Option { return func(e *Executor) { e.uploadState = dir } }

// defaultUploadStateDir is os.UserCacheDir()/canic-backup/uploads, or
// os.TempDir()/canic-backup/uploads when the user has no cache directory.
func defaultUploadStateDir() string {
	if d, err := os.UserCacheDir(); err == nil && d != "" {
		return filepath.Join(d, "canic-backup", "uploads")
	}
	return filepath.Join(os.TempDir(), "canic-backup", "uploads")
}

// stageUpload returns a private directory holding src's snapshot files,
// for the CLI to upload from. icp writes .lock and .upload_progress.json
// (dfx <snapshot id>.json) into the directory it uploads, and src is
// usually an artifact of a backup, which must stay byte-for-byte
// unchanged. The staging directory's name is the sha256 of src's absolute
// path, the target canister, the flavor and every snapshot file's name,
// size and modification time, so an interrupted upload finds its progress
// file again while a changed source starts afresh. Files are hard links to
// src's where the file system allows, copies otherwise.
func (e *Executor) stageUpload(src, cid string) (string, error) {
	var files []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if !d.IsDir() && snapshotFile(filepath.ToSlash(rel)) {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("list %s: %w", src, err)
	}
	h := sha256.New()
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field([]byte("canic-backup upload staging v1"))
	field([]byte(src))
	field([]byte(cid))
	field([]byte(e.s.Flavor))
	for _, rel := range files { // WalkDir's lexical order
		st, err := os.Stat(filepath.Join(src, rel))
		if err != nil {
			return "", fmt.Errorf("stat %s: %w", filepath.Join(src, rel), err)
		}
		field([]byte(filepath.ToSlash(rel)))
		var n [16]byte
		binary.BigEndian.PutUint64(n[:8], uint64(st.Size()))
		binary.BigEndian.PutUint64(n[8:], uint64(st.ModTime().UnixNano()))
		field(n[:])
	}
	base := e.uploadState
	if base == "" {
		base = defaultUploadStateDir()
	}
	stage := filepath.Join(base, string(e.s.Flavor)+"-"+hex.EncodeToString(h.Sum(nil)))
	for _, rel := range files {
		dst := filepath.Join(stage, rel)
		if _, err := os.Lstat(dst); err == nil {
			continue // staged by an interrupted attempt at this very source
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return "", fmt.Errorf("staging directory: %w", err)
		}
		if err := linkOrCopy(filepath.Join(src, rel), dst); err != nil {
			return "", err
		}
	}
	return stage, nil
}

// linkOrCopy hard-links src to dst, or copies it (an atomic, owner-only
// write through a temporary file renamed into place) when linking fails,
// e.g. across file systems.
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("stage %s: %w", src, err)
	}
	defer in.Close()
	if err := atomicfile.WriteFunc(dst, 0o600, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	}); err != nil {
		return fmt.Errorf("stage %s as %s: %w", src, dst, err)
	}
	return nil
}
