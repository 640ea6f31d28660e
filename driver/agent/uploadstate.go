package agent

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/aviate-labs/agent-go/principal"

	"github.com/canic-backup/canic-backup/driver/agent/mgmt"
)

// uploadStateSubdir is where upload resume records live below the user's
// cache directory (or the temporary directory when there is none).
var uploadStateSubdir = filepath.Join("canic-backup", "uploads")

// WithUploadStateDir keeps upload resume records in dir instead of
// os.UserCacheDir()/canic-backup/uploads (tests, read-only homes).
func WithUploadStateDir(dir string) Option { return func(e *Executor) { e.uploadState = dir } }

// defaultUploadStateDir is os.UserCacheDir()/canic-backup/uploads, or
// os.TempDir()/canic-backup/uploads when the user has no cache directory.
func defaultUploadStateDir() string {
	if d, err := os.UserCacheDir(); err == nil && d != "" {
		return filepath.Join(d, uploadStateSubdir)
	}
	return filepath.Join(os.TempDir(), uploadStateSubdir)
}

// uploadRecordPath names the resume record of uploading dir to c. The
// record lives outside dir, which is often an artifact of a backup that
// must stay byte-for-byte unchanged: its name is the sha256 of the
// absolute directory, the target canister and every snapshot file's name,
// size and modification time, so a changed source starts a fresh upload.
func (e *Executor) uploadRecordPath(dir string, c principal.Principal, meta *mgmt.Metadata) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", dir, err)
	}
	h := sha256.New()
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field([]byte("canic-backup upload record v1"))
	field([]byte(abs))
	field(c.Raw)
	files := []string{metadataFile}
	for _, b := range blobKinds {
		files = append(files, b.File)
	}
	for _, ch := range meta.WasmChunkStore {
		files = append(files, filepath.Join(chunkStoreDir, hex.EncodeToString(ch.Hash)+".bin"))
	}
	for _, f := range files {
		field([]byte(f))
		st, err := os.Stat(filepath.Join(abs, f))
		if errors.Is(err, fs.ErrNotExist) {
			field([]byte("absent"))
			continue
		}
		if err != nil {
			return "", &fileError{filepath.Join(abs, f), err}
		}
		var n [16]byte
		binary.BigEndian.PutUint64(n[:8], uint64(st.Size()))
		binary.BigEndian.PutUint64(n[8:], uint64(st.ModTime().UnixNano()))
		field(n[:])
	}
	base := e.uploadState
	if base == "" {
		base = defaultUploadStateDir()
	}
	return filepath.Join(base, hex.EncodeToString(h.Sum(nil))+".json"), nil
}
