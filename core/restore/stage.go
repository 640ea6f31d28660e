package restore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/canic-backup/canic-backup/core/checksum"
)

// stagingPrefix names the owner-only directories beside a journal into
// which `restore run` copies an artifact before uploading it.
const stagingPrefix = ".staging-"

// stagingPattern is the os.MkdirTemp pattern of journal's staging
// directories: ".<journal base>.staging-*" in the journal's directory.
func stagingPattern(journal string) (dir, pattern string) {
	return filepath.Dir(journal), "." + filepath.Base(journal) + stagingPrefix + "*"
}

// sweepStaging removes staging directories an interrupted run of journal
// left behind. It runs under the journal's lock, so no other run owns them.
func sweepStaging(journal string) error {
	dir, pattern := stagingPattern(journal)
	prefix := strings.TrimSuffix(pattern, "*")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("sweep restore staging directories in %s: %w", dir, err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		m := filepath.Join(dir, e.Name())
		if err := os.RemoveAll(m); err != nil {
			return fmt.Errorf("remove restore staging directory %s: %w", m, err)
		}
	}
	return nil
}

// StagedArtifact is a private copy of an artifact, made for one upload.
type StagedArtifact struct {
	// Path is the copy (a file or a directory) to hand to the executor.
	Path string
	// Checksum is the checksum of the copied bytes.
	Checksum checksum.Checksum
	// Files are the digests of a directory artifact's copied files.
	Files []checksum.FileDigest
	dir   string
}

// Remove deletes the staging directory.
func (s *StagedArtifact) Remove() error {
	if s == nil || s.dir == "" {
		return nil
	}
	return os.RemoveAll(s.dir)
}

// StageArtifact copies the artifact at src (a regular file or a directory
// of regular files and directories) into a new owner-only (0700/0600)
// directory beside journal, and hashes the copy as it is written. Every
// entry is opened by descriptor without following symbolic links (the
// artifact itself with O_NOFOLLOW, its entries with openat relative to
// their directory's descriptor) and must be a regular file or a directory:
// a symbolic link, FIFO, socket or device is refused, naming it. The
// caller compares Checksum with the expected one and uploads only Path.
func StageArtifact(ctx context.Context, journal, src string) (*StagedArtifact, error) {
	parent, pattern := stagingPattern(journal)
	dir, err := os.MkdirTemp(parent, pattern)
	if err != nil {
		return nil, fmt.Errorf("create restore staging directory in %s: %w", parent, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	s := &StagedArtifact{dir: dir, Path: filepath.Join(dir, "artifact")}
	f, err := openNoFollow(src)
	if err != nil {
		_ = s.Remove()
		if errors.Is(err, errSymlink) {
			return nil, &checksum.EntryError{Path: src, Kind: "symbolic link"}
		}
		return nil, fmt.Errorf("open restore artifact %s: %w", src, &os.PathError{Op: "open", Path: src, Err: err})
	}
	file := false
	c := copier{ctx: ctx, buf: make([]byte, checksum.BufferSize)}
	err = c.entry(f, src, s.Path, "", &file)
	if err == nil && file {
		s.Checksum = c.fileSum
	} else if err == nil {
		s.Checksum = checksum.FromFileDigests(c.files)
		s.Files = c.files
	}
	if err != nil {
		_ = s.Remove()
		return nil, err
	}
	return s, nil
}

type copier struct {
	ctx     context.Context
	buf     []byte
	files   []checksum.FileDigest
	fileSum checksum.Checksum
}

// entry copies the open file f (the entry at src, relative path rel
// inside the artifact) to dst and closes f. isFile is set when the
// artifact root is a single file.
func (c *copier) entry(f *os.File, src, dst, rel string, isFile *bool) error {
	defer f.Close()
	if err := c.ctx.Err(); err != nil {
		return err
	}
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat restore artifact entry %s: %w", src, err)
	}
	switch {
	case info.Mode().IsRegular():
		if rel == "" {
			*isFile = true
		}
		return c.file(f, src, dst, rel)
	case info.IsDir():
		return c.dir(f, src, dst, rel)
	}
	return checksum.NewEntryError(src, info.Mode())
}

func (c *copier) file(f *os.File, src, dst, rel string) error {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("stage restore artifact file %s: %w", src, err)
	}
	w := checksum.NewWriter(out)
	_, err = io.CopyBuffer(w, readerOnly{ctx: c.ctx, r: f}, c.buf)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("stage restore artifact file %s: %w", src, err)
	}
	if rel == "" {
		c.fileSum = w.Checksum()
	} else {
		c.files = append(c.files, checksum.FileDigest{Rel: rel, SHA256: w.Sum()})
	}
	return nil
}

func (c *copier) dir(f *os.File, src, dst, rel string) error {
	if err := os.Mkdir(dst, 0o700); err != nil {
		return fmt.Errorf("stage restore artifact directory %s: %w", src, err)
	}
	names, err := f.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("read restore artifact directory %s: %w", src, err)
	}
	for _, name := range names {
		childSrc := filepath.Join(src, name)
		child, err := openAtNoFollow(f, childSrc, name)
		if err != nil {
			if errors.Is(err, errSymlink) {
				return &checksum.EntryError{Path: childSrc, Kind: "symbolic link"}
			}
			return fmt.Errorf("open restore artifact entry %s: %w", childSrc, err)
		}
		childRel := name
		if rel != "" {
			childRel = rel + "/" + name
		}
		var isFile bool
		if err := c.entry(child, childSrc, filepath.Join(dst, name), childRel, &isFile); err != nil {
			return err
		}
	}
	return nil
}

// readerOnly hides *os.File's ReadFrom/WriteTo so CopyBuffer uses buf, and
// checks ctx between reads.
type readerOnly struct {
	ctx context.Context
	r   io.Reader
}

func (r readerOnly) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
