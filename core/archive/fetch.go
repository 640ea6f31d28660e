package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/verify"
	"github.com/canic-backup/canic-backup/internal/ctxio"
	"github.com/canic-backup/canic-backup/internal/parallel"
	"github.com/canic-backup/canic-backup/internal/platform"
)

// ErrUnknownArtifact is matched when Fetch is asked for an artifact path
// the manifest does not record.
var ErrUnknownArtifact = errors.New("artifact is not in the manifest")

// Fetch downloads the backup name from s into the local directory dir (a
// backup directory afterwards): every document present in the store, plus
// the artifacts opts selects. Each object is hashed while it streams and
// must match the SHA-256 recorded with it; files are written atomically,
// and a file already present with the right digest is kept. A fetched
// artifact directory's checksum is then checked against the manifest (a
// mismatch is a *verify.VerificationError with CodeChecksum that matches
// checksum.ErrMismatch; an object whose bytes differ from its recorded
// SHA-256 matches store.ErrDigestMismatch).
// The manifest is written last, so a local manifest means the fetch of
// the documents completed.
func Fetch(ctx context.Context, s store.Store, name, dir string, opts FetchOptions) (*FetchReport, error) {
	var byKey map[string]store.ObjectInfo
	if ix := opts.Index; ix != nil && ix.name == name && ix.store == s.String() {
		byKey = ix.byKey
	} else {
		var err error
		if byKey, err = indexObjects(ctx, s, name); err != nil {
			return nil, err
		}
	}
	f := &fetcher{s: s, name: name, dir: dir}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("fetch %s: %w", dir, err)
	}

	manifestKey := Key(name, layout.ManifestFile)
	var m *manifest.FleetBackupManifest
	if _, ok := byKey[manifestKey]; ok {
		data, err := ReadDocument(ctx, s, name, layout.ManifestFile)
		if err != nil {
			return nil, err
		}
		if m, err = manifest.DecodeValid(data); err != nil {
			return nil, fmt.Errorf("fetch %s %q: %w", s, manifestKey, err)
		}
	} else if opts.AllArtifacts || len(opts.Artifacts) > 0 {
		return nil, fmt.Errorf("fetch %s %q: %w: %s has no manifest", s, name, ErrIncomplete, name)
	}

	// Documents but the manifest.
	for _, doc := range Documents {
		key := Key(name, doc)
		info, ok := byKey[key]
		if !ok || doc == layout.ManifestFile {
			continue
		}
		if err := f.object(ctx, info, doc); err != nil {
			return nil, err
		}
	}

	if m != nil {
		paths, err := selectArtifacts(m, opts)
		if err != nil {
			return nil, fmt.Errorf("fetch %s %q: %w", s, name, err)
		}
		if err := f.artifacts(ctx, m, paths, byKey, opts.Concurrency); err != nil {
			return nil, err
		}
		if err := f.object(ctx, byKey[manifestKey], layout.ManifestFile); err != nil {
			return nil, err
		}
	}
	return &f.report, nil
}

// selectArtifacts returns the manifest's artifact paths opts selects, in
// manifest order.
func selectArtifacts(m *manifest.FleetBackupManifest, opts FetchOptions) ([]string, error) {
	recorded := map[string]bool{}
	var all []string
	for _, mem := range m.Fleet.Members {
		p := mem.SourceSnapshot.ArtifactPath
		if !recorded[p] {
			recorded[p] = true
			all = append(all, p)
		}
	}
	if opts.AllArtifacts {
		return all, nil
	}
	want := map[string]bool{}
	for _, p := range opts.Artifacts {
		if !recorded[p] {
			return nil, fmt.Errorf("%w: %q", ErrUnknownArtifact, p)
		}
		want[p] = true
	}
	var out []string
	for _, p := range all {
		if want[p] {
			out = append(out, p)
		}
	}
	return out, nil
}

// ArtifactObjects returns the objects of the artifact recorded at path rel
// in the backup name: the object NAME/rel for a file artifact, else every
// object below NAME/rel/. objs is the backup's listing by key.
func ArtifactObjects(name, rel string, byKey map[string]store.ObjectInfo) []store.ObjectInfo {
	if o, ok := byKey[Key(name, rel)]; ok {
		return []store.ObjectInfo{o}
	}
	prefix := Key(name, rel) + "/"
	var out []store.ObjectInfo
	for k, o := range byKey {
		if strings.HasPrefix(k, prefix) {
			out = append(out, o)
		}
	}
	sortInfos(out)
	return out
}

type fetcher struct {
	s         store.Store
	name, dir string
	report    FetchReport
	mu        sync.Mutex
}

// artifacts downloads the artifacts at paths and checks each one's
// checksum against the manifest (or the download journal when the
// manifest records none).
func (f *fetcher) artifacts(ctx context.Context, m *manifest.FleetBackupManifest, paths []string, byKey map[string]store.ObjectInfo, concurrency int) error {
	type job struct {
		info store.ObjectInfo
		rel  string
	}
	var jobs []job
	for _, p := range paths {
		if _, err := layout.New(f.dir).Resolve(p); err != nil {
			return fmt.Errorf("fetch %s %q: %w", f.s, Key(f.name, p), err)
		}
		objs := ArtifactObjects(f.name, p, byKey)
		if len(objs) == 0 {
			return fmt.Errorf("fetch %s %q: artifact %s: %w", f.s, Key(f.name, p), p, store.ErrNotFound)
		}
		for _, o := range objs {
			jobs = append(jobs, job{info: o, rel: strings.TrimPrefix(o.Key, f.name+"/")})
		}
	}
	if err := parallel.ForEach(ctx, workers(concurrency), len(jobs), func(ctx context.Context, i int) error {
		return f.object(ctx, jobs[i].info, jobs[i].rel)
	}); err != nil {
		return err
	}
	var j *journal.DownloadJournal
	if data, err := layout.ReadDocument(filepath.Join(f.dir, layout.DownloadJournalFile), layout.MaxDocumentSize); err == nil {
		j, _ = journal.DecodeDownloadJournal(data)
	}
	for _, p := range paths {
		want := expectedChecksum(m, j, p)
		local := filepath.Join(f.dir, filepath.FromSlash(p))
		sum, err := checksum.FromPath(ctx, local)
		if err != nil {
			return fmt.Errorf("fetch %s %q: %w", f.s, Key(f.name, p), err)
		}
		if want == "" {
			continue
		}
		if err := sum.Verify(want); err != nil {
			var me *checksum.MismatchError
			if errors.As(err, &me) {
				me.Path = local
			}
			ve := &verify.VerificationError{Code: verify.CodeChecksum, Path: local, Message: err.Error(), Err: err}
			return fmt.Errorf("fetch %s %q to %s: %w", f.s, Key(f.name, p), local, ve)
		}
	}
	return nil
}

// expectedChecksum is the checksum the manifest (else the download
// journal) records for the artifact at path p; "" when neither does.
func expectedChecksum(m *manifest.FleetBackupManifest, j *journal.DownloadJournal, p string) string {
	for _, mem := range m.Fleet.Members {
		if mem.SourceSnapshot.ArtifactPath == p && mem.SourceSnapshot.Checksum != nil {
			return *mem.SourceSnapshot.Checksum
		}
	}
	if j != nil {
		for _, e := range j.Artifacts {
			if e.ArtifactPath == p && e.Checksum != nil {
				return *e.Checksum
			}
		}
	}
	return ""
}

func (f *fetcher) count(size int64, downloaded bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.report.Objects++
	f.report.Bytes += size
	if downloaded {
		f.report.Downloaded++
	}
}

// object makes dir/rel hold the object info describes: kept when already
// there with the same size and SHA-256, else downloaded while hashing.
func (f *fetcher) object(ctx context.Context, info store.ObjectInfo, rel string) error {
	local := filepath.Join(f.dir, filepath.FromSlash(rel))
	if st, err := os.Lstat(local); err == nil && st.Mode().IsRegular() && st.Size() == info.Size {
		if info.SHA256 == "" {
			if full, err := f.s.Stat(ctx, info.Key); err == nil {
				info = full
			}
		}
		if info.SHA256 != "" {
			if sum, err := hashFile(ctx, local); err == nil && sum == info.SHA256 {
				f.count(info.Size, false)
				return nil
			}
		}
	}
	n, err := download(ctx, f.s, info.Key, local)
	if err != nil {
		return fmt.Errorf("fetch %s %q to %s: %w", f.s, info.Key, local, err)
	}
	f.count(n, true)
	return nil
}

// download streams key into path atomically (temp file in the same
// directory, fsync, rename, fsync of the directory), checking the object's
// recorded SHA-256 and size; it returns the size.
func download(ctx context.Context, s store.Store, key, path string) (n int64, err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	obj, err := s.Get(ctx, key)
	if err != nil {
		return 0, err
	}
	defer obj.Close()
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*"+layout.TempSuffix)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	vr := store.NewVerifyingReader(ctxio.NewReader(ctx, obj.Body), key, obj.Info.SHA256)
	buf := make([]byte, checksum.BufferSize)
	if _, err = io.CopyBuffer(tmp, vr, buf); err != nil {
		return 0, err
	}
	if vr.N() != obj.Info.Size {
		return 0, fmt.Errorf("%w: size %d, read %d bytes", store.ErrDigestMismatch, obj.Info.Size, vr.N())
	}
	if err = tmp.Sync(); err != nil {
		return 0, err
	}
	if err = tmp.Close(); err != nil {
		return 0, err
	}
	if err = platform.Rename(tmp.Name(), path); err != nil {
		return 0, err
	}
	return vr.N(), layout.SyncDir(dir)
}
