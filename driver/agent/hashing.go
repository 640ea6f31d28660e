package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"os"
	"sort"
	"sync"

	"github.com/canic-backup/canic-backup/pluginapi"
)

// orderedHash computes a file's SHA-256 while its chunks are written in any
// order: a chunk is fed to the hash once every chunk before it was. Chunks
// that finish early are kept in memory within a budget shared by every
// transfer of the executor; beyond it, and for chunks kept from an
// interrupted download, the bytes are read back from the file when their
// turn comes (from the page cache, as they were just written). So the
// digest costs no second pass over the artifact and little memory.
type orderedHash struct {
	mu    sync.Mutex
	f     *os.File
	size  uint64
	chunk uint64
	h     hash.Hash
	next  uint64 // index of the next chunk to feed
	// ready holds finished chunks ahead of next: their bytes, or nil when
	// they must be read back from f.
	ready  map[uint64][]byte
	budget *hashBudget
}

// hashBudget bounds the bytes held for out-of-order chunks.
type hashBudget struct {
	mu   sync.Mutex
	left int64
}

// hashBudgetChunks is how many out-of-order chunks an executor keeps in
// memory for its digests, across all its transfers.
const hashBudgetChunks = 4

func newHashBudget(bytes int64) *hashBudget { return &hashBudget{left: bytes} }

func (b *hashBudget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.left {
		return false
	}
	b.left -= n
	return true
}

func (b *hashBudget) give(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.left += n
}

// newOrderedHash returns the hash of f, of size bytes in chunks of chunk
// bytes, holding early chunks within b.
func newOrderedHash(b *hashBudget, f *os.File, size, chunk uint64) *orderedHash {
	return &orderedHash{f: f, size: size, chunk: chunk, h: sha256.New(), ready: map[uint64][]byte{}, budget: b}
}

// have marks chunk i as already on disk (kept from an earlier download).
func (o *orderedHash) have(i uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ready[i] = nil
}

// written reports that chunk i now holds data (written to the file). It
// may be called from any goroutine.
func (o *orderedHash) written(i uint64, data []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.drain(); err != nil {
		return err
	}
	if i == o.next {
		o.h.Write(data)
		o.next++
		return o.drain()
	}
	if o.budget.take(int64(len(data))) {
		o.ready[i] = data
	} else {
		o.ready[i] = nil
	}
	return nil
}

// drain feeds the chunks that have become contiguous (o.mu held).
func (o *orderedHash) drain() error {
	for {
		data, ok := o.ready[o.next]
		if !ok {
			return nil
		}
		delete(o.ready, o.next)
		if data == nil {
			var err error
			if data, err = o.readBack(o.next); err != nil {
				return err
			}
		} else {
			o.budget.give(int64(len(data)))
		}
		o.h.Write(data)
		o.next++
	}
}

func (o *orderedHash) readBack(i uint64) ([]byte, error) {
	off := i * o.chunk
	n := min(o.chunk, o.size-off)
	buf := make([]byte, n)
	if _, err := o.f.ReadAt(buf, int64(off)); err != nil {
		return nil, &fileError{o.f.Name(), fmt.Errorf("read back chunk at offset %d for its digest: %w", off, err)}
	}
	return buf, nil
}

// release returns the budget of chunks still held (a failed transfer).
func (o *orderedHash) release() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, data := range o.ready {
		o.budget.give(int64(len(data)))
		delete(o.ready, i)
	}
}

// sum returns the file's digest once every chunk was fed (drain first for
// chunks only marked as present).
func (o *orderedHash) sum() (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.drain(); err != nil {
		return "", err
	}
	if o.next*o.chunk < o.size {
		return "", fmt.Errorf("digest of %s: chunk %d never written", o.f.Name(), o.next)
	}
	return hex.EncodeToString(o.h.Sum(nil)), nil
}

// digests collects the file digests of one download.
type digests struct {
	files []pluginapi.FileDigest
}

func (d *digests) add(rel string, size uint64, sum string) {
	d.files = append(d.files, pluginapi.FileDigest{Path: rel, Size: size, SHA256: sum})
}

func (d *digests) addBytes(rel string, data []byte) {
	s := sha256.Sum256(data)
	d.add(rel, uint64(len(data)), hex.EncodeToString(s[:]))
}

// list returns the digests sorted by path.
func (d *digests) list() []pluginapi.FileDigest {
	sort.Slice(d.files, func(i, j int) bool { return d.files[i].Path < d.files[j].Path })
	return d.files
}
