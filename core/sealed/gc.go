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
	"sort"
	"strings"
	"time"

	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/internal/killpoint"
)

// DefaultGrace is how long a pack stays unreferenced before gc may delete
// it (besides two consecutive passes): longer than any backup runs.
const DefaultGrace = 24 * time.Hour

// GCOptions tune GC.
type GCOptions struct {
	// Grace: a pack is deleted only when it was unreferenced in the
	// previous pass too and first seen unreferenced at least Grace ago
	// (negative: 0; zero: DefaultGrace).
	Grace time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// RepackWaste: a pack at least this share of whose bytes no backup
	// references has its referenced chunks copied (as ciphertext, no key
	// needed) into new packs; its index is then removed and the old pack
	// goes the way of unreferenced packs (0: 0.2; negative: never).
	RepackWaste float64
	// PackSize is the size of repacked packs (0: the repository's).
	PackSize int
}

// GCReport sums up a gc pass.
type GCReport struct {
	Store string `json:"store"`
	// Pass is this pass's number.
	Pass int `json:"pass"`
	// Packs were found, Referenced still hold referenced chunks.
	Packs      int `json:"packs"`
	Referenced int `json:"referenced"`
	// Marked packs are unreferenced and wait for a later pass.
	Marked int `json:"marked"`
	// Repacked packs had their live chunks copied into RepackedInto new
	// packs (RepackedBytes).
	Repacked      int   `json:"repacked"`
	RepackedInto  int   `json:"repacked_into"`
	RepackedBytes int64 `json:"repacked_bytes"`
	// Deleted packs and their bytes were reclaimed.
	Deleted      int   `json:"deleted"`
	DeletedBytes int64 `json:"deleted_bytes"`
	// KeptBytes is what the packs left hold.
	KeptBytes int64 `json:"kept_bytes"`
}

type gcMark struct {
	First time.Time `json:"first"`
	Pass  int       `json:"pass"`
}

type gcState struct {
	Pass  int               `json:"pass"`
	Marks map[string]gcMark `json:"marks"`
}

// GC runs one pass of the two-phase garbage collection: packs none of
// whose chunks any snapshot (complete or in progress) references are
// marked; a pack marked in the previous pass and for at least the grace
// period is deleted, its index first, so that a crash between the two
// leaves an unindexed pack the next pass deletes. A pack referenced again
// loses its mark. It needs the identity, and the caller holds the store's
// gc lease so two passes do not interleave.
func (r *Repo) GC(ctx context.Context, opts GCOptions) (*GCReport, error) {
	rep := &GCReport{Store: r.name}
	if err := r.needIdentity("gc"); err != nil {
		return rep, err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	grace := opts.Grace
	if grace == 0 {
		grace = DefaultGrace
	} else if grace < 0 {
		grace = 0
	}
	st := gcState{Marks: map[string]gcMark{}}
	if b, err := readAll(ctx, r.s, GCStateKey); err == nil {
		p, err := r.unseal(GCStateKey, b)
		if err != nil {
			return rep, err
		}
		if err := json.Unmarshal(p, &st); err != nil {
			return rep, fmt.Errorf("store %s: %s: %w", r.name, GCStateKey, err)
		}
		if st.Marks == nil {
			st.Marks = map[string]gcMark{}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return rep, fmt.Errorf("store %s: %w", r.name, err)
	}
	prev := st.Pass
	st.Pass++
	rep.Pass = st.Pass
	// Packs first, then index and snapshots: a pack uploaded after the
	// listing is not considered; one whose index appears later is
	// referenced by the time it is read.
	packObjs, err := r.s.List(ctx, PackPrefix)
	if err != nil {
		return rep, fmt.Errorf("store %s: %w", r.name, err)
	}
	if err := r.loadIndex(ctx); err != nil {
		return rep, err
	}
	sns, err := r.snapshots(ctx)
	if err != nil {
		return rep, err
	}
	used := map[ID]bool{}
	for _, sn := range sns {
		for id := range sn.chunkIDs() {
			used[id] = true
		}
	}
	if err := r.repack(ctx, packObjs, used, opts, rep); err != nil {
		return rep, err
	}
	marks := map[string]gcMark{}
	var doomed []string
	sizes := map[string]int64{}
	for _, o := range packObjs {
		pack := strings.TrimPrefix(o.Key, PackPrefix)
		sizes[pack] = o.Size
		rep.Packs++
		r.mu.Lock()
		blobs := r.packs[pack]
		r.mu.Unlock()
		referenced := false
		for _, b := range blobs {
			if used[b.ID] {
				referenced = true
				break
			}
		}
		if referenced {
			rep.Referenced++
			rep.KeptBytes += o.Size
			continue
		}
		m, ok := st.Marks[pack]
		if ok && m.Pass == prev && now().Sub(m.First) >= grace {
			doomed = append(doomed, pack)
			continue
		}
		if !ok {
			m.First = now()
		}
		m.Pass = st.Pass
		marks[pack] = m
		rep.Marked++
		rep.KeptBytes += o.Size
	}
	// Record the marks (and the doomed, in case of a crash) before deleting.
	for _, p := range doomed {
		marks[p] = gcMark{First: st.Marks[p].First, Pass: st.Pass}
	}
	st.Marks = marks
	if err := r.writeGCState(ctx, st); err != nil {
		return rep, err
	}
	for _, p := range doomed {
		killpoint.Hit("sealed.gc-before-index-delete")
		if err := r.s.Delete(ctx, IndexPrefix+p); err != nil {
			return rep, fmt.Errorf("store %s: gc: %w", r.name, err)
		}
		killpoint.Hit("sealed.gc-before-pack-delete")
		if err := r.s.Delete(ctx, PackPrefix+p); err != nil {
			return rep, fmt.Errorf("store %s: gc: %w", r.name, err)
		}
		r.dropPack(p)
		delete(st.Marks, p)
		rep.Deleted++
		rep.DeletedBytes += sizes[p]
	}
	if len(doomed) > 0 {
		if err := r.writeGCState(ctx, st); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func (r *Repo) writeGCState(ctx context.Context, st gcState) error {
	p, _ := json.Marshal(st)
	if _, err := r.s.Put(ctx, GCStateKey, bytes.NewReader(r.seal(p)), store.PutOptions{}); err != nil {
		return fmt.Errorf("store %s: gc state: %w", r.name, err)
	}
	return nil
}

func (r *Repo) dropPack(pack string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.packs[pack] {
		if l, ok := r.index[b.ID]; ok && l.Pack == pack {
			delete(r.index, b.ID)
		}
	}
	delete(r.packs, pack)
	// Chunks also held by another pack are found there.
	for p, blobs := range r.packs {
		for _, b := range blobs {
			if _, ok := r.index[b.ID]; !ok {
				b.Pack = p
				r.index[b.ID] = b
			}
		}
	}
}

// repack copies the live chunks of wasteful packs into new packs, then
// removes the old packs' indexes: their chunks stay findable throughout
// (by id, in the new packs), and the old packs become unindexed and are
// deleted like any unreferenced pack, two passes later.
func (r *Repo) repack(ctx context.Context, packObjs []store.ObjectInfo, used map[ID]bool, opts GCOptions, rep *GCReport) error {
	waste := opts.RepackWaste
	if waste == 0 {
		waste = 0.2
	}
	if waste < 0 {
		return nil
	}
	pw := &packer{r: r, size: opts.PackSize}
	if pw.size <= 0 {
		pw.size = r.opts.packSize()
	}
	var old []string
	for _, o := range packObjs {
		pack := strings.TrimPrefix(o.Key, PackPrefix)
		r.mu.Lock()
		blobs := r.packs[pack]
		r.mu.Unlock()
		var live int64
		var keep []Loc
		for _, b := range blobs {
			if used[b.ID] {
				live += b.Len
				keep = append(keep, b)
			}
		}
		if live == 0 || o.Size == 0 || float64(o.Size-live)/float64(o.Size) < waste {
			continue
		}
		sort.Slice(keep, func(i, j int) bool { return keep[i].Off < keep[j].Off })
		if err := r.copyBlobs(ctx, pack, keep, pw); err != nil {
			return err
		}
		old = append(old, pack)
		rep.Repacked++
	}
	if err := pw.flush(ctx); err != nil {
		return err
	}
	rep.RepackedInto = pw.packs
	rep.RepackedBytes = pw.bytes
	for _, p := range old {
		killpoint.Hit("sealed.gc-before-repacked-index-delete")
		if err := r.s.Delete(ctx, IndexPrefix+p); err != nil {
			return fmt.Errorf("store %s: gc: %w", r.name, err)
		}
		r.dropPack(p)
	}
	return nil
}

// copyBlobs streams pack and appends the ciphertext of keep to pw,
// checking the pack's digest before anything copied is uploaded.
func (r *Repo) copyBlobs(ctx context.Context, pack string, keep []Loc, pw *packer) error {
	o, err := r.s.Get(ctx, PackPrefix+pack)
	if err != nil {
		return fmt.Errorf("store %s: gc: pack %s: %w", r.name, pack, err)
	}
	defer o.Close()
	data, err := io.ReadAll(o)
	if err != nil {
		return fmt.Errorf("store %s: gc: pack %s: %w", r.name, pack, err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != pack {
		return &PackError{Store: r.name, Pack: pack, Err: fmt.Errorf("%w: its digest does not match its name (gc copies nothing from it)", ErrCorrupt)}
	}
	for _, b := range keep {
		if b.Off+b.Len > int64(len(data)) {
			return &PackError{Store: r.name, Pack: pack, Err: fmt.Errorf("%w: index beyond the pack", ErrCorrupt)}
		}
		if err := pw.add(ctx, b, data[b.Off:b.Off+b.Len]); err != nil {
			return err
		}
	}
	return nil
}

// packer builds packs from sealed blobs.
type packer struct {
	r     *Repo
	size  int
	buf   bytes.Buffer
	blobs []Loc
	packs int
	bytes int64
}

func (p *packer) add(ctx context.Context, l Loc, blob []byte) error {
	l.Off = int64(p.buf.Len())
	l.Pack = ""
	p.buf.Write(blob)
	p.blobs = append(p.blobs, l)
	if p.buf.Len() >= p.size {
		return p.flush(ctx)
	}
	return nil
}

func (p *packer) flush(ctx context.Context) error {
	if len(p.blobs) == 0 {
		return nil
	}
	name, err := p.r.putPack(ctx, p.buf.Bytes(), p.blobs)
	if err != nil {
		return err
	}
	p.packs++
	p.bytes += int64(p.buf.Len())
	_ = name
	p.buf.Reset()
	p.blobs = nil
	return nil
}
