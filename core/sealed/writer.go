package sealed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"filippo.io/age"
	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/internal/killpoint"
	"github.com/klauspost/compress/zstd"
	"github.com/restic/chunker"
)

// ErrArtifactChecksum is matched when an artifact's bytes do not make up
// the checksum the run recorded.
var ErrArtifactChecksum = errors.New("artifact does not match its checksum")

// WriteReport sums up what a Writer stored.
type WriteReport struct {
	// Bytes is the artifacts' plain size; Chunks how many chunks they have.
	Bytes  int64 `json:"bytes"`
	Chunks int   `json:"chunks"`
	// NewChunks and NewBytes are the chunks this writer stored (packed
	// bytes); the rest were already in the repository.
	NewChunks int   `json:"new_chunks"`
	NewBytes  int64 `json:"new_bytes"`
	// Packs is how many packs it uploaded.
	Packs int `json:"packs"`
}

// Writer writes one backup into the repository: artifacts one at a time
// (Put, the runner's ArtifactSink), then documents and Commit. A Writer
// resumes the snapshot of an interrupted run of the same backup. Safe for
// concurrent use (calls are serialized).
type Writer struct {
	r    *Repo
	mu   sync.Mutex
	sn   *snapshot
	enc  *zstd.Encoder
	pack bytes.Buffer
	blob []Loc
	// pending are the chunks in the open pack.
	pending map[ID]bool
	// reused are the chunks this backup found in the repository, by pack.
	reused map[string][]ID
	rep    WriteReport
}

// NewWriter opens the writer of backup name.
func (r *Repo) NewWriter(ctx context.Context, name string) (*Writer, error) {
	if err := r.loadIndex(ctx); err != nil {
		return nil, err
	}
	sn, err := r.readSnapshot(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		sn = &snapshot{Name: name, Created: time.Now().UTC()}
	} else if err != nil {
		return nil, err
	}
	if sn.Artifacts == nil {
		sn.Artifacts = map[string]*artifactRec{}
	}
	if sn.Documents == nil {
		sn.Documents = map[string][]byte{}
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	return &Writer{r: r, sn: sn, enc: enc, pending: map[ID]bool{}, reused: map[string][]ID{}}, nil
}

// String names the backup for errors.
func (w *Writer) String() string { return "store " + w.r.name + " backup " + w.sn.Name }

// Report returns what was written so far.
func (w *Writer) Report() WriteReport {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rep
}

// Has reports whether the backup already holds artifact rel with checksum
// sum (from an interrupted run).
func (w *Writer) Has(ctx context.Context, rel, sum string) (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	a, ok := w.sn.Artifacts[cleanRel(rel)]
	return ok && a.KeyedSum == w.r.keyedSum(sum), nil
}

// Put stores the artifact rel read from path (a file or a directory of
// regular files), checking that its bytes make up checksum sum, and
// records it in the backup's snapshot (after its packs are uploaded), so
// an interrupted backup keeps it.
func (w *Writer) Put(ctx context.Context, rel, path, sum string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	rel = cleanRel(rel)
	info, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("artifact %s: %w", rel, err)
	}
	rec := &artifactRec{KeyedSum: w.r.keyedSum(sum)}
	var got string
	if info.Mode().IsRegular() {
		f, digest, err := w.putFile(ctx, "", path)
		if err != nil {
			return fmt.Errorf("artifact %s: %w", rel, err)
		}
		rec.Files = []fileRec{f}
		got = digest
	} else if info.IsDir() {
		rec.Dir = true
		var digests []checksum.FileDigest
		err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			if !d.Type().IsRegular() {
				return checksum.NewEntryError(p, d.Type())
			}
			rp, err := filepath.Rel(path, p)
			if err != nil {
				return err
			}
			rp = filepath.ToSlash(rp)
			f, digest, err := w.putFile(ctx, rp, p)
			if err != nil {
				return err
			}
			rec.Files = append(rec.Files, f)
			digests = append(digests, checksum.FileDigest{Rel: rp, SHA256: digest})
			return nil
		})
		if err != nil {
			return fmt.Errorf("artifact %s: %w", rel, err)
		}
		got = checksum.FromFileDigests(digests).Hash
	} else {
		return fmt.Errorf("artifact %s: %w", rel, checksum.NewEntryError(path, info.Mode().Type()))
	}
	if got != sum {
		return fmt.Errorf("%w: %s: artifact %s has checksum %s, the run recorded %s", ErrArtifactChecksum, w, rel, got, sum)
	}
	if err := w.flush(ctx); err != nil {
		return err
	}
	w.sn.Artifacts[rel] = rec
	return w.r.writeSnapshot(ctx, w.sn)
}

// putFile chunks one file into the open pack and returns its record and
// its plain SHA-256.
func (w *Writer) putFile(ctx context.Context, rel, path string) (fileRec, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return fileRec{}, "", err
	}
	defer f.Close()
	h := sha256.New()
	ch := chunker.NewWithBoundaries(io.TeeReader(f, h), w.r.pol, w.r.chunking.MinSize, w.r.chunking.MaxSize)
	ch.SetAverageBits(w.r.chunking.AvgBits)
	buf := make([]byte, w.r.chunking.MaxSize)
	rec := fileRec{Path: rel}
	for {
		if err := ctx.Err(); err != nil {
			return rec, "", err
		}
		c, err := ch.Next(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			return rec, "", err
		}
		id := w.r.chunkID(c.Data)
		rec.Chunks = append(rec.Chunks, id)
		rec.Size += int64(c.Length)
		w.rep.Bytes += int64(c.Length)
		w.rep.Chunks++
		if err := w.addChunk(ctx, id, c.Data); err != nil {
			return rec, "", err
		}
	}
	return rec, hex.EncodeToString(h.Sum(nil)), nil
}

// addChunk appends a chunk to the open pack unless the repository has it.
func (w *Writer) addChunk(ctx context.Context, id ID, data []byte) error {
	if l, ok := w.r.lookup(id); ok {
		w.reused[l.Pack] = append(w.reused[l.Pack], id)
		return nil
	}
	if w.pending[id] {
		return nil
	}
	off := int64(w.pack.Len())
	aw, err := age.Encrypt(&w.pack, w.r.keys.Recipients...)
	if err != nil {
		return err
	}
	if _, err := aw.Write(w.enc.EncodeAll(data, nil)); err != nil {
		return err
	}
	if err := aw.Close(); err != nil {
		return err
	}
	l := Loc{ID: id, Off: off, Len: int64(w.pack.Len()) - off, Raw: int64(len(data))}
	w.blob = append(w.blob, l)
	w.pending[id] = true
	w.rep.NewChunks++
	w.rep.NewBytes += l.Len
	if w.pack.Len() >= w.r.opts.packSize() {
		return w.flush(ctx)
	}
	return nil
}

// flush uploads the open pack, then its index.
func (w *Writer) flush(ctx context.Context) error {
	if len(w.blob) == 0 {
		return nil
	}
	if _, err := w.r.putPack(ctx, w.pack.Bytes(), w.blob); err != nil {
		return fmt.Errorf("%s: %w", w, err)
	}
	w.rep.Packs++
	w.pack.Reset()
	w.blob = nil
	w.pending = map[ID]bool{}
	return nil
}

// putPack uploads a pack, then its index, and adds it to the index.
func (r *Repo) putPack(ctx context.Context, data []byte, blobs []Loc) (string, error) {
	sum := sha256.Sum256(data)
	pack := hex.EncodeToString(sum[:])
	killpoint.Hit("sealed.before-pack-put")
	if _, err := r.s.Put(ctx, PackPrefix+pack, bytes.NewReader(data), store.PutOptions{SHA256: pack}); err != nil {
		return pack, fmt.Errorf("upload pack %s: %w", pack, err)
	}
	killpoint.Hit("sealed.after-pack-put")
	d := indexDoc{Pack: pack, Blobs: blobs}
	p, _ := json.Marshal(d)
	if _, err := r.s.Put(ctx, IndexPrefix+pack, bytes.NewReader(r.seal(p)), store.PutOptions{}); err != nil {
		return pack, fmt.Errorf("index of pack %s: %w", pack, err)
	}
	r.addIndex(indexDoc{Pack: pack, Blobs: append([]Loc(nil), blobs...)})
	return pack, nil
}

// PutDocument seals a document (plan, journal, manifest) into the backup.
func (w *Writer) PutDocument(ctx context.Context, file string, data []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	b, err := ageSeal(w.r.keys.Recipients, data)
	if err != nil {
		return err
	}
	w.sn.Documents[file] = b
	return w.r.writeSnapshot(ctx, w.sn)
}

// ErrPackGone is matched when a pack a backup deduplicated against was
// deleted by gc meanwhile.
var ErrPackGone = errors.New("a pack this backup reuses is gone")

// Commit flushes the open pack, checks the packs the backup reuses are
// still there (gc on another host) and marks the backup complete.
func (w *Writer) Commit(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.flush(ctx); err != nil {
		return err
	}
	packs := make([]string, 0, len(w.reused))
	for p := range w.reused {
		packs = append(packs, p)
	}
	sort.Strings(packs)
	var gone []ID
	for _, p := range packs {
		if _, err := w.r.s.Stat(ctx, PackPrefix+p); errors.Is(err, store.ErrNotFound) {
			gone = append(gone, w.reused[p]...)
		} else if err != nil {
			return fmt.Errorf("%s: %w", w, err)
		}
	}
	if len(gone) > 0 {
		// gc may have repacked them: the chunks must be indexed elsewhere.
		fresh := &Repo{s: w.r.s, name: w.r.name, aead: w.r.aead}
		if err := fresh.loadIndex(ctx); err != nil {
			return err
		}
		for _, id := range gone {
			l, ok := fresh.lookup(id)
			if !ok {
				return fmt.Errorf("%s: %w: chunk %s is no longer in the store (gc ran during the backup?); run the backup again", w, ErrPackGone, id)
			}
			if _, err := w.r.s.Stat(ctx, PackPrefix+l.Pack); err != nil {
				return fmt.Errorf("%s: %w: %s: %w", w, ErrPackGone, l.Pack, err)
			}
		}
	}
	w.sn.Complete = true
	return w.r.writeSnapshot(ctx, w.sn)
}

// Close releases the writer's encoder.
func (w *Writer) Close() error { return w.enc.Close() }
