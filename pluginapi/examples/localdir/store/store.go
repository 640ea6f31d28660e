package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/canic-backup/canic-backup/pluginapi"
)

// Name and Version identify the example executor.
const (
	Name    = "localdir"
	Version = "0.1.0"
)

// Options tunes a Store.
type Options struct {
	// ChunkSize is the transfer chunk size in bytes; 0 means 64 KiB.
	ChunkSize int
	// ChunkDelay is slept before each chunk, to make transfers slow enough
	// to interrupt in tests.
	ChunkDelay time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// CrashOn names a method on whose call the process exits with status
	// 3, to simulate a plugin crash in tests.
	CrashOn string
}

// Store is a pluginapi.Executor over a local directory.
type Store struct {
	root  string
	opts  Options
	mu    sync.Mutex // serialises state changes
	logMu sync.Mutex // serialises call-log appends
}

var _ pluginapi.Executor = (*Store)(nil)

// New returns a Store over root (see the package doc for the layout).
func New(root string, opts Options) *Store {
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = 64 << 10
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Store{root: root, opts: opts}
}

func (s *Store) canisterDir(id string) string { return filepath.Join(s.root, "canisters", id) }

func (s *Store) fleet() (Fleet, error) {
	var f Fleet
	if err := readDoc(filepath.Join(s.root, "fleet.json"), &f); err != nil {
		return Fleet{}, pluginapi.Errorf(pluginapi.CodeInternal, "read fleet: %v", err)
	}
	return f, nil
}

// canister reads a canister's document; a missing canister is CodeNotFound.
func (s *Store) canister(t pluginapi.Target) (Canister, error) {
	var c Canister
	err := readDoc(filepath.Join(s.canisterDir(t.CanisterID), "canister.json"), &c)
	if errors.Is(err, os.ErrNotExist) {
		return Canister{}, pluginapi.Errorf(pluginapi.CodeNotFound, "canister %s does not exist", t)
	}
	if err != nil {
		return Canister{}, pluginapi.Errorf(pluginapi.CodeInternal, "read canister %s: %v", t, err)
	}
	return c, nil
}

// controlled reads a canister and checks that the identity controls it.
func (s *Store) controlled(t pluginapi.Target) (Canister, error) {
	c, err := s.canister(t)
	if err != nil {
		return c, err
	}
	f, err := s.fleet()
	if err != nil {
		return c, err
	}
	if !contains(c.Controllers, f.Identity) {
		return c, pluginapi.Errorf(pluginapi.CodeUnauthorized, "identity %s is not a controller of %s", f.Identity, t)
	}
	return c, nil
}

func (s *Store) saveCanister(t pluginapi.Target, c Canister) error {
	if err := writeDoc(filepath.Join(s.canisterDir(t.CanisterID), "canister.json"), c); err != nil {
		return pluginapi.Errorf(pluginapi.CodeInternal, "write canister %s: %v", t, err)
	}
	return nil
}

// Info implements pluginapi.Executor.
func (s *Store) Info(ctx context.Context) (pluginapi.Info, error) {
	defer s.record(ctx, "Info", nil)(nil)
	return pluginapi.Info{
		Name: Name, Version: Version, ProtocolVersion: pluginapi.ProtocolVersion,
		Capabilities: []pluginapi.Capability{
			pluginapi.CapabilityResumeDownload, pluginapi.CapabilityUpload,
			pluginapi.CapabilityRegistry, pluginapi.CapabilityPreflight,
		},
	}, nil
}

// Preflight implements pluginapi.Executor.
func (s *Store) Preflight(ctx context.Context, req pluginapi.PreflightRequest) (rep pluginapi.PreflightReport, err error) {
	defer s.record(ctx, "Preflight", map[string]any{"root": req.Root, "canisters": req.CanisterIDs})(&err)
	f, err := s.fleet()
	if err != nil {
		return rep, err
	}
	rep = pluginapi.PreflightReport{Identity: f.Identity, Targets: []pluginapi.PreflightTarget{}}
	for _, id := range req.CanisterIDs {
		pt := pluginapi.PreflightTarget{CanisterID: id, Controllers: []string{}}
		c, cerr := s.canister(pluginapi.Target{Network: req.Network, CanisterID: id})
		var perr *pluginapi.Error
		if errors.As(cerr, &perr) {
			pt.Err = perr
		} else {
			pt.Status = pluginapi.RunStatus(c.Status)
			pt.Controllers = c.Controllers
			pt.IdentityIsController = contains(c.Controllers, f.Identity)
			pt.RootIsController = contains(c.Controllers, req.Root)
			pt.ModuleHash = c.ModuleHash
		}
		rep.Targets = append(rep.Targets, pt)
	}
	return rep, nil
}

// QueryRegistry implements pluginapi.Executor.
func (s *Store) QueryRegistry(ctx context.Context, network, root string) (out []pluginapi.RegistryEntry, err error) {
	defer s.record(ctx, "QueryRegistry", map[string]any{"root": root})(&err)
	f, err := s.fleet()
	if err != nil {
		return nil, err
	}
	if root != f.Root {
		return nil, pluginapi.Errorf(pluginapi.CodeNotFound, "%s is not a canic root on %q (the root is %s)", root, network, f.Root)
	}
	out = []pluginapi.RegistryEntry{}
	for _, e := range f.Registry {
		out = append(out, pluginapi.RegistryEntry{
			PID: e.PID, Role: e.Role, ParentPID: deref(e.ParentPID), ModuleHash: deref(e.ModuleHash), CreatedAt: e.CreatedAt,
		})
	}
	return out, nil
}

// CanisterStatus implements pluginapi.Executor.
func (s *Store) CanisterStatus(ctx context.Context, t pluginapi.Target) (st pluginapi.CanisterStatus, err error) {
	defer s.record(ctx, "CanisterStatus", t)(&err)
	c, err := s.canister(t)
	if err != nil {
		return st, err
	}
	size, _ := dirSize(filepath.Join(s.canisterDir(t.CanisterID), "state"))
	return pluginapi.CanisterStatus{
		Status: pluginapi.RunStatus(c.Status), Controllers: c.Controllers, ModuleHash: c.ModuleHash, MemorySize: size,
	}, nil
}

// StopCanister implements pluginapi.Executor.
func (s *Store) StopCanister(ctx context.Context, t pluginapi.Target) (err error) {
	defer s.record(ctx, "StopCanister", t)(&err)
	return s.setStatus(t, pluginapi.StatusStopped)
}

// StartCanister implements pluginapi.Executor.
func (s *Store) StartCanister(ctx context.Context, t pluginapi.Target) (err error) {
	defer s.record(ctx, "StartCanister", t)(&err)
	return s.setStatus(t, pluginapi.StatusRunning)
}

func (s *Store) setStatus(t pluginapi.Target, st pluginapi.RunStatus) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.controlled(t)
	if err != nil {
		return err
	}
	c.Status = string(st)
	return s.saveCanister(t, c)
}

// CreateSnapshot implements pluginapi.Executor.
func (s *Store) CreateSnapshot(ctx context.Context, t pluginapi.Target) (snap pluginapi.SnapshotInfo, err error) {
	defer s.record(ctx, "CreateSnapshot", t)(&err)
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.controlled(t)
	if err != nil {
		return snap, err
	}
	if c.Status != string(pluginapi.StatusStopped) {
		return snap, pluginapi.Errorf(pluginapi.CodeNotStopped, "canister %s is %s; stop it before taking a snapshot", t, c.Status)
	}
	return s.newSnapshot(ctx, t, &c, filepath.Join(s.canisterDir(t.CanisterID), "state"))
}

// newSnapshot copies src into a new snapshot of t. The caller holds s.mu.
func (s *Store) newSnapshot(ctx context.Context, t pluginapi.Target, c *Canister, src string) (pluginapi.SnapshotInfo, error) {
	var raw [8]byte
	binary.BigEndian.PutUint64(raw[:], c.NextLocalID)
	sum := sha256.Sum256([]byte(t.CanisterID))
	id := hex.EncodeToString(raw[:]) + hex.EncodeToString(sum[:10])
	c.NextLocalID++
	dir := filepath.Join(s.canisterDir(t.CanisterID), "snapshots", id)
	files, err := snapshotFiles(src)
	if err != nil {
		return pluginapi.SnapshotInfo{}, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "snapshot source %s is incomplete: %v", src, err)
	}
	var total uint64
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			_ = os.RemoveAll(dir)
			return pluginapi.SnapshotInfo{}, err
		}
		n, err := copyFile(filepath.Join(src, f), filepath.Join(dir, f))
		if err != nil {
			_ = os.RemoveAll(dir)
			return pluginapi.SnapshotInfo{}, pluginapi.Errorf(pluginapi.CodeInternal, "copy %s: %v", f, err)
		}
		total += uint64(n)
	}
	snap := Snapshot{ID: id, TakenAtTimestamp: uint64(s.opts.Now().UnixNano()), TotalSize: total}
	if err := writeDoc(filepath.Join(dir, "snapshot.json"), snap); err != nil {
		_ = os.RemoveAll(dir)
		return pluginapi.SnapshotInfo{}, pluginapi.Errorf(pluginapi.CodeInternal, "write snapshot %s: %v", id, err)
	}
	if err := s.saveCanister(t, *c); err != nil {
		return pluginapi.SnapshotInfo{}, err
	}
	return pluginapi.SnapshotInfo{ID: id, TakenAtNanos: snap.TakenAtTimestamp, TotalSize: total}, nil
}

// ListSnapshots implements pluginapi.Executor.
func (s *Store) ListSnapshots(ctx context.Context, t pluginapi.Target) (out []pluginapi.SnapshotInfo, err error) {
	defer s.record(ctx, "ListSnapshots", t)(&err)
	if _, err := s.canister(t); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(s.canisterDir(t.CanisterID), "snapshots"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, pluginapi.Errorf(pluginapi.CodeInternal, "list snapshots of %s: %v", t, err)
	}
	out = []pluginapi.SnapshotInfo{}
	for _, e := range entries {
		var sn Snapshot
		if err := readDoc(filepath.Join(s.canisterDir(t.CanisterID), "snapshots", e.Name(), "snapshot.json"), &sn); err != nil {
			continue // a snapshot still being written
		}
		out = append(out, pluginapi.SnapshotInfo{ID: sn.ID, TakenAtNanos: sn.TakenAtTimestamp, TotalSize: sn.TotalSize})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// snapshotDir returns an existing snapshot's directory.
func (s *Store) snapshotDir(t pluginapi.Target, id string) (string, error) {
	if _, err := hex.DecodeString(id); err != nil || id == "" {
		return "", pluginapi.Errorf(pluginapi.CodeInvalidArgument, "snapshot id %q of %s is not hex", id, t)
	}
	if _, err := s.canister(t); err != nil {
		return "", err
	}
	dir := filepath.Join(s.canisterDir(t.CanisterID), "snapshots", id)
	if _, err := os.Stat(filepath.Join(dir, "snapshot.json")); err != nil {
		return "", pluginapi.Errorf(pluginapi.CodeNotFound, "snapshot %s of %s does not exist", id, t)
	}
	return dir, nil
}

// DeleteSnapshot implements pluginapi.Executor.
func (s *Store) DeleteSnapshot(ctx context.Context, t pluginapi.Target, id string) (err error) {
	defer s.record(ctx, "DeleteSnapshot", map[string]any{"target": t, "snapshot": id})(&err)
	s.mu.Lock()
	defer s.mu.Unlock()
	dir, err := s.snapshotDir(t, id)
	if err != nil {
		return err
	}
	if _, err := s.controlled(t); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return pluginapi.Errorf(pluginapi.CodeInternal, "delete snapshot %s of %s: %v", id, t, err)
	}
	return nil
}

// LoadSnapshot implements pluginapi.Executor.
func (s *Store) LoadSnapshot(ctx context.Context, t pluginapi.Target, id string) (err error) {
	defer s.record(ctx, "LoadSnapshot", map[string]any{"target": t, "snapshot": id})(&err)
	s.mu.Lock()
	defer s.mu.Unlock()
	dir, err := s.snapshotDir(t, id)
	if err != nil {
		return err
	}
	c, err := s.controlled(t)
	if err != nil {
		return err
	}
	if c.Status != string(pluginapi.StatusStopped) {
		return pluginapi.Errorf(pluginapi.CodeNotStopped, "canister %s is %s; stop it before loading a snapshot", t, c.Status)
	}
	files, err := snapshotFiles(dir)
	if err != nil {
		return pluginapi.Errorf(pluginapi.CodeInternal, "snapshot %s of %s is incomplete: %v", id, t, err)
	}
	state := filepath.Join(s.canisterDir(t.CanisterID), "state")
	if err := os.RemoveAll(state); err != nil {
		return pluginapi.Errorf(pluginapi.CodeInternal, "clear state of %s: %v", t, err)
	}
	for _, f := range files {
		if _, err := copyFile(filepath.Join(dir, f), filepath.Join(state, f)); err != nil {
			return pluginapi.Errorf(pluginapi.CodeInternal, "load %s into %s: %v", f, t, err)
		}
	}
	return nil
}

// DownloadSnapshot implements pluginapi.Executor. Each file is copied in
// chunks; bytes the directory already holds are kept when they match the
// snapshot, so an interrupted download resumes where it stopped.
func (s *Store) DownloadSnapshot(ctx context.Context, t pluginapi.Target, id, dir string, progress pluginapi.ProgressFunc) (res pluginapi.TransferResult, err error) {
	defer s.record(ctx, "DownloadSnapshot", map[string]any{"target": t, "snapshot": id, "dir": dir})(&err)
	src, err := s.snapshotDir(t, id)
	if err != nil {
		return res, err
	}
	files, err := snapshotFiles(src)
	if err != nil {
		return res, pluginapi.Errorf(pluginapi.CodeInternal, "snapshot %s of %s is incomplete: %v", id, t, err)
	}
	var total uint64
	for _, f := range files {
		fi, err := os.Stat(filepath.Join(src, f))
		if err != nil {
			return res, pluginapi.Errorf(pluginapi.CodeInternal, "stat %s: %v", f, err)
		}
		total += uint64(fi.Size())
	}
	res = pluginapi.TransferResult{SnapshotID: id, Bytes: total}
	var done uint64
	report := func(f string) {
		if progress != nil {
			progress(pluginapi.Progress{BytesDone: done, BytesTotal: total, File: f})
		}
	}
	for _, f := range files {
		kept, err := s.resumeFile(ctx, filepath.Join(src, f), filepath.Join(dir, f), func(n int) {
			done += uint64(n)
			report(f)
		})
		res.ResumedBytes += uint64(kept)
		done += uint64(kept)
		if err != nil {
			return res, err
		}
	}
	report("")
	return res, nil
}

// resumeFile copies src to dst in chunks, keeping the prefix of dst that
// already matches src. It returns how many bytes it kept.
func (s *Store) resumeFile(ctx context.Context, src, dst string, chunk func(int)) (int64, error) {
	data, err := os.ReadFile(src)
	if err != nil {
		return 0, pluginapi.Errorf(pluginapi.CodeInternal, "read %s: %v", src, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "create %s: %v", filepath.Dir(dst), err)
	}
	out, err := os.OpenFile(dst, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return 0, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "open %s: %v", dst, err)
	}
	defer out.Close()
	have, err := io.ReadAll(io.LimitReader(out, int64(len(data))+1))
	if err != nil {
		return 0, pluginapi.Errorf(pluginapi.CodeInternal, "read %s: %v", dst, err)
	}
	kept := int64(0)
	if len(have) <= len(data) && bytes.Equal(have, data[:len(have)]) {
		kept = int64(len(have))
	}
	if err := out.Truncate(kept); err != nil {
		return 0, pluginapi.Errorf(pluginapi.CodeInternal, "truncate %s: %v", dst, err)
	}
	if _, err := out.Seek(kept, io.SeekStart); err != nil {
		return kept, pluginapi.Errorf(pluginapi.CodeInternal, "seek %s: %v", dst, err)
	}
	for off := kept; off < int64(len(data)); {
		if s.opts.ChunkDelay > 0 {
			select {
			case <-ctx.Done():
				return kept, ctx.Err()
			case <-time.After(s.opts.ChunkDelay):
			}
		}
		if err := ctx.Err(); err != nil {
			return kept, err
		}
		end := min(off+int64(s.opts.ChunkSize), int64(len(data)))
		if _, err := out.Write(data[off:end]); err != nil {
			return kept, pluginapi.Errorf(pluginapi.CodeInternal, "write %s: %v", dst, err)
		}
		if err := out.Sync(); err != nil {
			return kept, pluginapi.Errorf(pluginapi.CodeInternal, "sync %s: %v", dst, err)
		}
		chunk(int(end - off))
		off = end
	}
	return kept, nil
}

// UploadSnapshot implements pluginapi.Executor.
func (s *Store) UploadSnapshot(ctx context.Context, t pluginapi.Target, dir string, progress pluginapi.ProgressFunc) (res pluginapi.TransferResult, err error) {
	defer s.record(ctx, "UploadSnapshot", map[string]any{"target": t, "dir": dir})(&err)
	if _, err := os.Stat(filepath.Join(dir, pluginapi.SnapshotMetadataFile)); err != nil {
		return res, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "snapshot directory %s has no metadata.json", dir)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.controlled(t)
	if err != nil {
		return res, err
	}
	snap, err := s.newSnapshot(ctx, t, &c, dir)
	if err != nil {
		return res, err
	}
	if progress != nil {
		progress(pluginapi.Progress{BytesDone: snap.TotalSize, BytesTotal: snap.TotalSize})
	}
	return pluginapi.TransferResult{SnapshotID: snap.ID, Bytes: snap.TotalSize}, nil
}

func copyFile(src, dst string) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, err
	}
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if err != nil {
		out.Close()
		return n, err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return n, err
	}
	return n, out.Close()
}

func dirSize(dir string) (uint64, error) {
	var n uint64
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			n += uint64(fi.Size())
		}
		return nil
	})
	return n, err
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// errString renders an outcome for the call log.
func errString(err error) string {
	if err == nil {
		return "ok"
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "canceled"
	}
	return string(pluginapi.CodeOf(err))
}
