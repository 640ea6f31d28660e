package sealed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"filippo.io/age"
	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/klauspost/compress/zstd"
)

// ErrCorrupt is matched when stored data fails authentication or its id.
var ErrCorrupt = errors.New("sealed data is corrupt")

// RestoreOptions say what Restore writes.
type RestoreOptions struct {
	// Artifacts are the artifact paths to rebuild besides the documents;
	// All rebuilds every one.
	Artifacts []string
	All       bool
}

// RestoreReport sums up a Restore.
type RestoreReport struct {
	Documents int   `json:"documents"`
	Artifacts int   `json:"artifacts"`
	Bytes     int64 `json:"bytes"`
}

// ReadDocument returns the plain bytes of document file of backup name.
func (r *Repo) ReadDocument(ctx context.Context, name, file string) ([]byte, error) {
	if err := r.needIdentity("reading a backup's documents"); err != nil {
		return nil, err
	}
	sn, err := r.mustSnapshot(ctx, name)
	if err != nil {
		return nil, err
	}
	b, ok := sn.Documents[file]
	if !ok {
		return nil, fmt.Errorf("store %s: backup %s has no %s: %w", r.name, name, file, os.ErrNotExist)
	}
	return r.openDoc(b, file)
}

func (r *Repo) openDoc(b []byte, file string) ([]byte, error) {
	p, err := ageOpen(r.keys.Identities, b)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, fmt.Errorf("store %s: %w: identity_file does not decrypt %s", r.name, ErrWrongKey, file)
		}
		return nil, fmt.Errorf("store %s: %s: %w: %w", r.name, file, ErrCorrupt, err)
	}
	return p, nil
}

// Restore writes backup name's documents into dir and rebuilds the chosen
// artifacts (dir/<path>) with their exact bytes, one at a time.
func (r *Repo) Restore(ctx context.Context, name, dir string, opts RestoreOptions) (RestoreReport, error) {
	var rep RestoreReport
	if err := r.needIdentity("restore"); err != nil {
		return rep, err
	}
	sn, err := r.mustSnapshot(ctx, name)
	if err != nil {
		return rep, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return rep, err
	}
	for _, file := range sortedKeys(sn.Documents) {
		p, err := r.openDoc(sn.Documents[file], file)
		if err != nil {
			return rep, err
		}
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(file)), p); err != nil {
			return rep, err
		}
		rep.Documents++
	}
	if err := r.loadIndex(ctx); err != nil {
		return rep, err
	}
	want := opts.Artifacts
	if opts.All {
		want = sortedKeys(sn.Artifacts)
	}
	for _, rel := range want {
		a, ok := sn.Artifacts[cleanRel(rel)]
		if !ok {
			return rep, fmt.Errorf("store %s: backup %s has no artifact %s: %w", r.name, name, rel, os.ErrNotExist)
		}
		n, err := r.restoreArtifact(ctx, a, filepath.Join(dir, filepath.FromSlash(cleanRel(rel))))
		if err != nil {
			return rep, fmt.Errorf("store %s: backup %s: artifact %s: %w", r.name, name, rel, err)
		}
		rep.Artifacts++
		rep.Bytes += n
	}
	return rep, nil
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// restoreArtifact rebuilds one artifact at path.
func (r *Repo) restoreArtifact(ctx context.Context, a *artifactRec, path string) (int64, error) {
	if err := os.RemoveAll(path); err != nil {
		return 0, err
	}
	var n int64
	for _, f := range a.Files {
		p := path
		if a.Dir {
			if strings.Contains("/"+f.Path+"/", "/../") || filepath.IsAbs(f.Path) {
				return n, fmt.Errorf("%w: file path %q escapes the artifact", ErrCorrupt, f.Path)
			}
			p = filepath.Join(path, filepath.FromSlash(f.Path))
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return n, err
		}
		out, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return n, err
		}
		err = r.fillFile(ctx, f, out)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return n, err
		}
		n += f.Size
	}
	if a.Dir && len(a.Files) == 0 {
		return 0, os.MkdirAll(path, 0o700)
	}
	return n, nil
}

// fillFile writes f's chunks at their offsets, reading each pack once.
func (r *Repo) fillFile(ctx context.Context, f fileRec, out *os.File) error {
	if err := out.Truncate(f.Size); err != nil {
		return err
	}
	type want struct {
		loc  Loc
		offs []int64
	}
	byPack := map[string]map[ID]*want{}
	var off int64
	for _, id := range f.Chunks {
		l, ok := r.lookup(id)
		if !ok {
			return fmt.Errorf("%w: chunk %s is in no index", ErrCorrupt, id)
		}
		m := byPack[l.Pack]
		if m == nil {
			m = map[ID]*want{}
			byPack[l.Pack] = m
		}
		if m[id] == nil {
			m[id] = &want{loc: l}
		}
		m[id].offs = append(m[id].offs, off)
		off += l.Raw
	}
	if off != f.Size {
		return fmt.Errorf("%w: chunks add up to %d bytes, the file has %d", ErrCorrupt, off, f.Size)
	}
	for _, pack := range sortedKeys(byPack) {
		ws := make([]*want, 0, len(byPack[pack]))
		for _, w := range byPack[pack] {
			ws = append(ws, w)
		}
		sort.Slice(ws, func(i, j int) bool { return ws[i].loc.Off < ws[j].loc.Off })
		locs := make([]Loc, len(ws))
		for i, w := range ws {
			locs[i] = w.loc
		}
		err := r.readPack(ctx, pack, locs, func(i int, data []byte) error {
			for _, o := range ws[i].offs {
				if _, err := out.WriteAt(data, o); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// readPack streams pack once and calls fn with the plain data of each of
// locs (sorted by offset), checking the pack's digest and each chunk's id.
func (r *Repo) readPack(ctx context.Context, pack string, locs []Loc, fn func(int, []byte) error) error {
	o, err := r.s.Get(ctx, PackPrefix+pack)
	if err != nil {
		return fmt.Errorf("pack %s: %w", pack, err)
	}
	defer o.Close()
	h := sha256.New()
	rd := io.TeeReader(o, h)
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return err
	}
	defer dec.Close()
	var pos int64
	for i, l := range locs {
		if l.Off < pos {
			return fmt.Errorf("%w: pack %s: overlapping chunks", ErrCorrupt, pack)
		}
		if _, err := io.CopyN(io.Discard, rd, l.Off-pos); err != nil {
			return fmt.Errorf("%w: pack %s: %w", ErrCorrupt, pack, err)
		}
		blob := make([]byte, l.Len)
		if _, err := io.ReadFull(rd, blob); err != nil {
			return fmt.Errorf("%w: pack %s: chunk at %d: %w", ErrCorrupt, pack, l.Off, err)
		}
		pos = l.Off + l.Len
		data, err := r.openBlob(blob, dec)
		if err != nil {
			return fmt.Errorf("pack %s: chunk at %d: %w", pack, l.Off, err)
		}
		if r.chunkID(data) != l.ID || int64(len(data)) != l.Raw {
			return fmt.Errorf("%w: pack %s: chunk at %d is not chunk %s", ErrCorrupt, pack, l.Off, l.ID)
		}
		if err := fn(i, data); err != nil {
			return err
		}
	}
	if _, err := io.Copy(io.Discard, rd); err != nil {
		return fmt.Errorf("pack %s: %w", pack, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != pack {
		return fmt.Errorf("%w: pack %s has digest %s", ErrCorrupt, pack, got)
	}
	return nil
}

func (r *Repo) openBlob(blob []byte, dec *zstd.Decoder) ([]byte, error) {
	rd, err := age.Decrypt(bytes.NewReader(blob), r.keys.Identities...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, fmt.Errorf("store %s: %w: identity_file does not decrypt the store's packs", r.name, ErrWrongKey)
		}
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	z, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	data, err := dec.DecodeAll(z, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return data, nil
}

// artifactChecksum rebuilds artifact a under tmp and returns its checksum.
func (r *Repo) artifactChecksum(ctx context.Context, a *artifactRec, tmp string) (string, error) {
	p := filepath.Join(tmp, "artifact")
	defer os.RemoveAll(p)
	if _, err := r.restoreArtifact(ctx, a, p); err != nil {
		return "", err
	}
	c, err := checksum.FromPath(ctx, p)
	if err != nil {
		return "", err
	}
	return c.Hash, nil
}
