// Package atomicfile writes files so that a reader, or a crash, sees either
// the old content or the whole new one: a unique temp file in the same
// directory, fsync, rename over the destination (or a create-only link),
// fsync of the directory. Publish renames a staged file or directory
// without ever replacing what is there. The OS-specific rename and
// directory sync come from internal/platform.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/canic-backup/canic-backup/internal/killpoint"
	"github.com/canic-backup/canic-backup/internal/platform"
)

// TempSuffix ends the name of every temp file this package creates
// (".<base>.<random>.tmp"), so sweepers can recognise them.
const TempSuffix = ".tmp"

// ErrExists: a create-only write or a publish found its destination
// already present.
var ErrExists = errors.New("file already exists")

// WriteFile replaces path with data durably: it writes a unique temp file
// in the same directory, fsyncs it, renames it over path and fsyncs the
// directory. A reader sees either the old or the new content, never a
// partial file; on error the temp file is removed. The parent directory is
// created (0755) if missing. The crash harness's BeforeRename and
// AfterRename kill points fire around the rename.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return write(path, perm, false, true, writeBytes(data))
}

// CreateFile is WriteFile that refuses to replace an existing file (it
// publishes with a hard link): the error matches ErrExists.
func CreateFile(path string, data []byte, perm fs.FileMode) error {
	return write(path, perm, true, true, writeBytes(data))
}

// WriteFunc is WriteFile for content produced by fill, which writes into a
// buffered writer over the temp file. It fires no kill points: it serves
// processes outside the crash harness's trace (the simulator's state).
func WriteFunc(path string, perm fs.FileMode, fill func(w io.Writer) error) error {
	return write(path, perm, false, false, func(f *os.File) error {
		bw := bufio.NewWriterSize(f, 1<<20)
		if err := fill(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
}

// SyncDir fsyncs a directory so renames and creations in it are durable.
// On Windows, where a directory cannot be fsynced, it only checks that dir
// exists: the renames are made durable by MOVEFILE_WRITE_THROUGH instead
// (docs/safety.md, "Platforms").
func SyncDir(dir string) error { return platform.SyncDir(dir) }

func writeBytes(data []byte) func(*os.File) error {
	return func(f *os.File) error {
		_, err := f.Write(data)
		return err
	}
}

func write(path string, perm fs.FileMode, createOnly, killpoints bool, fill func(*os.File) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return fmt.Errorf("atomic write: %q names no file", path)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*"+TempSuffix)
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if err = fill(tmp); err != nil {
		return fmt.Errorf("write %s: %w", tmpName, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", tmpName, err)
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if killpoints {
		killpoint.Hit(killpoint.BeforeRename)
	}
	if createOnly {
		if err = os.Link(tmpName, path); err != nil {
			if errors.Is(err, fs.ErrExist) {
				err = fmt.Errorf("%s: %w", path, ErrExists)
			}
			return err
		}
		if err = os.Remove(tmpName); err != nil {
			return err
		}
	} else if err = platform.Rename(tmpName, path); err != nil {
		return err
	}
	if killpoints {
		killpoint.Hit(killpoint.AfterRename)
	}
	return SyncDir(dir)
}
