package sealed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/verify"
)

// ErrIncomplete is matched when a backup has no committed snapshot.
var ErrIncomplete = errors.New("backup is not complete")

// PackError is a damaged or missing pack and the backups it affects. It
// matches verify.ErrVerification (exit 3).
type PackError struct {
	Store   string
	Pack    string
	Backups []string
	Err     error
}

// Error names the pack and the backups.
func (e *PackError) Error() string {
	return fmt.Sprintf("store %s: pack %s%s: %v; it affects backups %s", e.Store, PackPrefix, e.Pack, e.Err, strings.Join(e.Backups, ", "))
}

// Unwrap returns the cause.
func (e *PackError) Unwrap() error { return e.Err }

// Is matches verify.ErrVerification.
func (e *PackError) Is(target error) bool { return target == verify.ErrVerification }

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// SamplePercent in (0, 100) checks that share of the artifacts'
	// content (at least one); 0 or 100 all. Packs are always all checked.
	SamplePercent float64
	// Seed makes the sample reproducible (0: random, reported).
	Seed int64
	// TempDir holds one rebuilt artifact at a time ("" : os.TempDir()).
	TempDir string
}

// VerifyReport is what Verify checked.
type VerifyReport struct {
	Store string `json:"store"`
	Name  string `json:"name"`
	// Packs and PackBytes are the packs streamed and digest-checked.
	Packs     int   `json:"packs"`
	PackBytes int64 `json:"pack_bytes"`
	// Content is true when artifact checksums were checked (identity).
	Content bool `json:"content"`
	// Sampled of Total artifacts were rebuilt and checksummed.
	Sampled       int     `json:"sampled_artifacts"`
	Total         int     `json:"total_artifacts"`
	SamplePercent float64 `json:"sample_percent"`
	Seed          int64   `json:"seed"`
	Bytes         int64   `json:"bytes"`
}

// Verify checks backup name: structure (every chunk indexed, inside an
// existing pack) and every pack's digest; with an identity also the
// checksum of (a sample of) its artifacts against its manifest.
func (r *Repo) Verify(ctx context.Context, name string, opts VerifyOptions) (*VerifyReport, error) {
	rep := &VerifyReport{Store: r.name, Name: name, Content: r.CanRead(), SamplePercent: opts.SamplePercent, Seed: opts.Seed}
	sn, err := r.mustSnapshot(ctx, name)
	if err != nil {
		return rep, err
	}
	if !sn.Complete {
		return rep, fmt.Errorf("store %s: backup %s: %w", r.name, name, ErrIncomplete)
	}
	if err := r.loadIndex(ctx); err != nil {
		return rep, err
	}
	packs := map[string]bool{}
	for id := range sn.chunkIDs() {
		l, ok := r.lookup(id)
		if !ok {
			return rep, &verify.VerificationError{Code: verify.CodeMissingArtifact, Path: name,
				Message: fmt.Sprintf("store %s: chunk %s of backup %s is in no index", r.name, id, name)}
		}
		packs[l.Pack] = true
	}
	for _, p := range sortedKeys(packs) {
		n, err := r.checkPack(ctx, p)
		if err != nil {
			return rep, r.packError(ctx, p, err)
		}
		rep.Packs++
		rep.PackBytes += n
	}
	if !r.CanRead() {
		return rep, nil
	}
	mb, ok := sn.Documents[layout.ManifestFile]
	if !ok {
		return rep, fmt.Errorf("store %s: backup %s: no manifest: %w", r.name, name, ErrIncomplete)
	}
	plain, err := r.openDoc(mb, layout.ManifestFile)
	if err != nil {
		return rep, err
	}
	m, err := verify.DecodeManifest(plain, r.name+":"+name+"/"+layout.ManifestFile)
	if err != nil {
		return rep, err
	}
	sums := map[string]string{}
	for _, mem := range m.Fleet.Members {
		if mem.SourceSnapshot.Checksum != nil {
			sums[mem.SourceSnapshot.ArtifactPath] = *mem.SourceSnapshot.Checksum
		}
	}
	paths := sortedKeys(sums)
	rep.Total = len(paths)
	if rep.Seed == 0 {
		rep.Seed = rand.Int64()
	}
	if p := opts.SamplePercent; p > 0 && p < 100 && len(paths) > 0 {
		rng := rand.New(rand.NewPCG(uint64(rep.Seed), 0))
		n := int(math.Ceil(float64(len(paths)) * p / 100))
		rng.Shuffle(len(paths), func(i, j int) { paths[i], paths[j] = paths[j], paths[i] })
		paths = paths[:max(n, 1)]
		sort.Strings(paths)
	}
	tmp, err := os.MkdirTemp(opts.TempDir, "canic-sealed-verify-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(tmp)
	for _, p := range paths {
		a, ok := sn.Artifacts[p]
		if !ok {
			return rep, &verify.VerificationError{Code: verify.CodeMissingArtifact, Path: p,
				Message: fmt.Sprintf("store %s: backup %s has no artifact %s", r.name, name, p)}
		}
		got, err := r.artifactChecksum(ctx, a, tmp)
		if err != nil {
			return rep, fmt.Errorf("store %s: backup %s: artifact %s: %w", r.name, name, p, err)
		}
		if got != sums[p] {
			return rep, &verify.VerificationError{Code: verify.CodeChecksum, Path: p,
				Message: fmt.Sprintf("store %s: backup %s: artifact checksum %s, the manifest records %s", r.name, name, got, sums[p])}
		}
		for _, f := range a.Files {
			rep.Bytes += f.Size
		}
		rep.Sampled++
	}
	return rep, nil
}

// checkPack streams pack and compares its digest with its name and its
// size with its index.
func (r *Repo) checkPack(ctx context.Context, pack string) (int64, error) {
	o, err := r.s.Get(ctx, PackPrefix+pack)
	if err != nil {
		return 0, err
	}
	defer o.Close()
	h := sha256.New()
	n, err := io.Copy(h, o)
	if err != nil {
		return n, err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != pack {
		return n, fmt.Errorf("%w: its content has digest %s", ErrCorrupt, got)
	}
	r.mu.Lock()
	blobs := r.packs[pack]
	r.mu.Unlock()
	for _, b := range blobs {
		if b.Off < 0 || b.Len <= 0 || b.Off+b.Len > n {
			return n, fmt.Errorf("%w: index places a chunk at %d+%d beyond its %d bytes", ErrCorrupt, b.Off, b.Len, n)
		}
	}
	return n, nil
}

// packError names the backups that reference pack.
func (r *Repo) packError(ctx context.Context, pack string, cause error) error {
	if errors.Is(cause, store.ErrNotFound) {
		cause = fmt.Errorf("%w: missing", ErrCorrupt)
	}
	pe := &PackError{Store: r.name, Pack: pack, Err: cause}
	sns, err := r.snapshots(ctx)
	if err != nil {
		return errors.Join(pe, err)
	}
	r.mu.Lock()
	blobs := r.packs[pack]
	r.mu.Unlock()
	in := map[ID]bool{}
	for _, b := range blobs {
		in[b.ID] = true
	}
	for _, sn := range sns {
		for id := range sn.chunkIDs() {
			if in[id] {
				pe.Backups = append(pe.Backups, sn.Name)
				break
			}
		}
	}
	sort.Strings(pe.Backups)
	return pe
}

// ArtifactChecksums rebuilds each artifact at paths of backup name (one at
// a time, under tempDir) and returns its checksum and file digests, as
// checksum.FromPathWithFiles gives them for a local copy; an artifact
// whose checksum differs from the manifest's is a
// *verify.VerificationError (CodeChecksum). It needs the identity.
func (r *Repo) ArtifactChecksums(ctx context.Context, name string, paths []string, tempDir string) (map[string]checksum.Checksum, map[string][]checksum.FileDigest, int64, error) {
	if err := r.needIdentity("checking artifacts"); err != nil {
		return nil, nil, 0, err
	}
	sn, err := r.mustSnapshot(ctx, name)
	if err != nil {
		return nil, nil, 0, err
	}
	mb, ok := sn.Documents[layout.ManifestFile]
	if !ok {
		return nil, nil, 0, fmt.Errorf("store %s: backup %s: no manifest: %w", r.name, name, ErrIncomplete)
	}
	plain, err := r.openDoc(mb, layout.ManifestFile)
	if err != nil {
		return nil, nil, 0, err
	}
	m, err := verify.DecodeManifest(plain, r.name+":"+name+"/"+layout.ManifestFile)
	if err != nil {
		return nil, nil, 0, err
	}
	recorded := map[string]string{}
	for _, mem := range m.Fleet.Members {
		if mem.SourceSnapshot.Checksum != nil {
			recorded[mem.SourceSnapshot.ArtifactPath] = *mem.SourceSnapshot.Checksum
		}
	}
	if err := r.loadIndex(ctx); err != nil {
		return nil, nil, 0, err
	}
	tmp, err := os.MkdirTemp(tempDir, "canic-sealed-check-")
	if err != nil {
		return nil, nil, 0, err
	}
	defer os.RemoveAll(tmp)
	sums := map[string]checksum.Checksum{}
	files := map[string][]checksum.FileDigest{}
	var n int64
	for _, p := range paths {
		a, ok := sn.Artifacts[cleanRel(p)]
		if !ok {
			return nil, nil, n, &verify.VerificationError{Code: verify.CodeMissingArtifact, Path: p,
				Message: fmt.Sprintf("store %s: backup %s has no artifact %s", r.name, name, p)}
		}
		dst := filepath.Join(tmp, "artifact")
		if _, err := r.restoreArtifact(ctx, a, dst); err != nil {
			return nil, nil, n, fmt.Errorf("store %s: backup %s: artifact %s: %w", r.name, name, p, err)
		}
		c, fs, err := checksum.FromPathWithFiles(ctx, dst)
		os.RemoveAll(dst)
		if err != nil {
			return nil, nil, n, err
		}
		if want, ok := recorded[p]; ok && want != c.Hash {
			return nil, nil, n, &verify.VerificationError{Code: verify.CodeChecksum, Path: p,
				Message: fmt.Sprintf("store %s: backup %s: artifact checksum %s, the manifest records %s", r.name, name, c.Hash, want)}
		}
		for _, f := range a.Files {
			n += f.Size
		}
		sums[p], files[p] = c, fs
	}
	return sums, files, n, nil
}
