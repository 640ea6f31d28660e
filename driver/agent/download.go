package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/aviate-labs/agent-go/principal"

	"github.com/canic-backup/canic-backup/driver/agent/mgmt"
	"github.com/canic-backup/canic-backup/pluginapi"

	"github.com/canic-backup/canic-backup/internal/atomicfile"
	"github.com/canic-backup/canic-backup/internal/killpoint"
)

// DownloadSnapshot writes snapshot id of t into dir in icp's layout,
// reading data chunks in parallel and recording finished chunks in
// .canic_download_progress.json, so an interrupted download resumes where
// it stopped; the record is removed when the download completes.
func (e *Executor) DownloadSnapshot(ctx context.Context, t pluginapi.Target, id, dir string, progress pluginapi.ProgressFunc) (pluginapi.TransferResult, error) {
	c, err := canister(t)
	if err != nil {
		return pluginapi.TransferResult{}, err
	}
	sid, err := snapshotID(t, id)
	if err != nil {
		return pluginapi.TransferResult{}, err
	}
	if dir == "" {
		return pluginapi.TransferResult{}, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "download of snapshot %s of %s: no directory given", id, t)
	}
	unlock, err := e.dirs.lock(ctx, dir)
	if err != nil {
		return pluginapi.TransferResult{}, err
	}
	defer unlock()
	res, err := e.download(ctx, c, sid, dir, progress)
	if err != nil {
		return res, readsAreNeverUnknown(classify("download of snapshot "+id+" of", t.String(), err))
	}
	return res, nil
}

type fileError struct {
	path string
	err  error
}

func (e *fileError) Error() string { return e.path + ": " + e.err.Error() }
func (e *fileError) Unwrap() error { return e.err }

// download runs one download in steps: the metadata and the resume record
// (startDownload), the chunk store, then the blobs' data chunks in
// parallel, and the digests of every file.
func (e *Executor) download(ctx context.Context, c principal.Principal, sid []byte, dir string, progress pluginapi.ProgressFunc) (pluginapi.TransferResult, error) {
	d := &downloadRun{e: e, c: c, sid: sid, dir: dir, progress: progress,
		res: pluginapi.TransferResult{SnapshotID: hex.EncodeToString(sid)}}
	if finished, err := d.start(ctx); err != nil || finished {
		return d.res, err
	}
	if err := d.chunkStore(ctx); err != nil {
		return d.res, err
	}
	defer d.closeBlobs()
	if err := d.openBlobs(); err != nil {
		return d.res, err
	}
	d.res.Bytes = d.total
	d.report(metadataFile)
	if err := d.readBlobs(ctx); err != nil {
		return d.res, err
	}
	if err := d.finish(); err != nil {
		return d.res, err
	}
	if len(d.jobs) == 0 {
		d.report(metadataFile)
	}
	return d.res, nil
}

// downloadRun is the state of one download.
type downloadRun struct {
	e        *Executor
	c        principal.Principal
	sid      []byte
	dir      string
	progress pluginapi.ProgressFunc
	res      pluginapi.TransferResult

	meta    *mgmt.Metadata
	rec     *transferRecord
	recPath string
	sums    digests // every file's digest, from the bytes as written
	total   uint64
	done    uint64
	sizes   map[string]uint64
	files   map[string]*os.File
	hashes  map[string]*orderedHash
	jobs    []job
	mu      sync.Mutex // guards dirty
	dirty   bool
}

// report sends a progress event, if anyone listens.
func (d *downloadRun) report(file string) {
	if d.progress != nil {
		d.progress(pluginapi.Progress{BytesDone: d.done, BytesTotal: d.total, File: file})
	}
}

// start reads the snapshot's metadata, checks it and the resume record
// against what dir already holds, and writes both. finished is true when
// dir already holds this snapshot completely (d.res then says so).
func (d *downloadRun) start(ctx context.Context) (finished bool, err error) {
	c, id := d.c, d.res.SnapshotID
	if err := os.MkdirAll(d.dir, 0o755); err != nil {
		return false, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "create download directory %s: %v", d.dir, err)
	}
	arg, err := mgmt.SnapshotArg(c, d.sid)
	if err != nil {
		return false, err
	}
	raw, _, err := d.e.mgmtCall(ctx, c, mgmt.MethodReadMetadata, arg)
	if err != nil {
		return false, err
	}
	meta, err := mgmt.DecodeMetadata(raw)
	if err != nil {
		return false, err
	}
	d.meta = meta
	metaJSON, err := encodeJSON(meta)
	if err != nil {
		return false, err
	}
	metaPath := filepath.Join(d.dir, metadataFile)
	d.recPath = filepath.Join(d.dir, downloadProgress)
	rec, err := readRecord(d.recPath)
	if err != nil {
		return false, &fileError{d.recPath, err}
	}
	if rec != nil && (rec.SnapshotID != id || rec.CanisterID != c.String() || rec.ChunkSize != mgmt.MaxSliceBytes) {
		return false, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s records a download of snapshot %s of %s; refusing to mix it with snapshot %s of %s",
			d.recPath, rec.SnapshotID, rec.CanisterID, id, c)
	}
	old, err := os.ReadFile(metaPath)
	switch {
	case err == nil && !bytes.Equal(old, metaJSON):
		return false, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s describes another snapshot than %s of %s; use an empty directory", metaPath, id, c)
	case err == nil && rec == nil:
		// A finished download: keep it if every file is complete.
		if total, ok := completeDownload(d.dir, meta); ok {
			d.res.Bytes, d.res.ResumedBytes = total, total
			d.done, d.total = total, total
			d.report(metadataFile)
			return true, nil
		}
		rec = d.newRecord()
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return false, &fileError{metaPath, err}
	case rec == nil:
		rec = d.newRecord()
	}
	d.rec = rec
	if err := rec.write(d.recPath); err != nil {
		return false, err
	}
	if err := atomicfile.WriteFile(metaPath, metaJSON, 0o644); err != nil {
		return false, err
	}
	d.sums.addBytes(metadataFile, metaJSON)
	return false, nil
}

func (d *downloadRun) newRecord() *transferRecord {
	return &transferRecord{CanisterID: d.c.String(), SnapshotID: d.res.SnapshotID, ChunkSize: mgmt.MaxSliceBytes, Done: map[string][]uint64{}}
}

// chunkStore downloads the Wasm chunk store first (small entries, each
// written atomically), keeping entries already present whose hash matches.
func (d *downloadRun) chunkStore(ctx context.Context) error {
	storeDir := filepath.Join(d.dir, chunkStoreDir)
	if err := os.MkdirAll(storeDir, 0o755); err != nil {
		return &fileError{storeDir, err}
	}
	for _, ch := range d.meta.WasmChunkStore {
		name := hex.EncodeToString(ch.Hash) + ".bin"
		p := filepath.Join(storeDir, name)
		if b, err := os.ReadFile(p); err == nil {
			if sum := sha256.Sum256(b); bytes.Equal(sum[:], ch.Hash) {
				d.total += uint64(len(b))
				d.done += uint64(len(b))
				d.res.ResumedBytes += uint64(len(b))
				d.sums.add(chunkStoreDir+"/"+name, uint64(len(b)), hex.EncodeToString(sum[:]))
				continue
			}
		}
		a, err := mgmt.ReadChunkArg(d.c, d.sid, ch.Hash)
		if err != nil {
			return err
		}
		raw, _, err := d.e.mgmtCall(ctx, d.c, mgmt.MethodReadData, a)
		if err != nil {
			return err
		}
		data, err := mgmt.DecodeChunk(raw)
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(p, data, 0o644); err != nil {
			return err
		}
		d.sums.addBytes(chunkStoreDir+"/"+name, data)
		d.total += uint64(len(data))
		d.done += uint64(len(data))
	}
	return nil
}

// openBlobs opens (sized) each blob's file and plans the chunks still to
// read: those the resume record does not list as done.
func (d *downloadRun) openBlobs() error {
	d.files = map[string]*os.File{}
	d.hashes = map[string]*orderedHash{}
	d.sizes = map[string]uint64{"wasm_module": d.meta.WasmModuleSize, "wasm_memory": d.meta.WasmMemorySize, "stable_memory": d.meta.StableMemorySize}
	for _, b := range blobKinds {
		size := d.sizes[b.Kind]
		d.total += size
		p := filepath.Join(d.dir, b.File)
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return &fileError{p, err}
		}
		d.files[b.Kind] = f
		if st, err := f.Stat(); err != nil || uint64(st.Size()) != size {
			if err := f.Truncate(int64(size)); err != nil {
				return &fileError{p, err}
			}
		}
		have := d.rec.doneSet(b.Kind)
		d.hashes[b.Kind] = newOrderedHash(d.e.hashBudget, f, size, mgmt.MaxSliceBytes)
		for i, off := uint64(0), uint64(0); off < size; i, off = i+1, off+mgmt.MaxSliceBytes {
			n := min(mgmt.MaxSliceBytes, size-off)
			if have[i] {
				d.hashes[b.Kind].have(i)
				d.done += n
				d.res.ResumedBytes += n
				continue
			}
			d.jobs = append(d.jobs, job{kind: b.Kind, index: i, offset: off, size: n})
		}
	}
	return nil
}

// closeBlobs closes the blob files and then releases the hashers' budget.
func (d *downloadRun) closeBlobs() {
	for _, f := range d.files {
		_ = f.Close()
	}
	for _, h := range d.hashes {
		h.release()
	}
}

// readBlobs reads the planned chunks in parallel, recording finished ones
// in the resume record at each checkpoint (after an fsync of the files).
func (d *downloadRun) readBlobs(ctx context.Context) error {
	return d.e.runJobs(ctx, d.jobs, d.e.s.ChunkConcurrency, d.readChunk, d.chunkDone, d.checkpoint)
}

func (d *downloadRun) readChunk(ctx context.Context, j job) error {
	a, err := mgmt.ReadRangeArg(d.c, d.sid, j.kind, j.offset, j.size)
	if err != nil {
		return err
	}
	raw, _, err := d.e.mgmtCall(ctx, d.c, mgmt.MethodReadData, a)
	if err != nil {
		return err
	}
	data, err := mgmt.DecodeChunk(raw)
	if err != nil {
		return err
	}
	if uint64(len(data)) != j.size {
		return fmt.Errorf("%s chunk at offset %d: got %d bytes, asked for %d", j.kind, j.offset, len(data), j.size)
	}
	if _, err := d.files[j.kind].WriteAt(data, int64(j.offset)); err != nil {
		return &fileError{d.files[j.kind].Name(), err}
	}
	return d.hashes[j.kind].written(j.index, data)
}

func (d *downloadRun) chunkDone(j job) {
	killpoint.Hit(killpoint.AgentDownloadChunk)
	d.rec.Done[j.kind] = append(d.rec.Done[j.kind], j.index)
	d.done += j.size
	d.mu.Lock()
	d.dirty = true
	d.mu.Unlock()
	d.report(fileOf(j.kind))
}

func (d *downloadRun) checkpoint() error {
	d.mu.Lock()
	dirty := d.dirty
	d.dirty = false
	d.mu.Unlock()
	if !dirty {
		return nil
	}
	if err := d.syncBlobs(); err != nil {
		return err
	}
	return d.rec.write(d.recPath)
}

func (d *downloadRun) syncBlobs() error {
	for _, f := range d.files {
		if err := f.Sync(); err != nil {
			return &fileError{f.Name(), err}
		}
	}
	return nil
}

// finish makes the blobs durable, removes the resume record and lists
// every file's digest in the result.
func (d *downloadRun) finish() error {
	if err := d.syncBlobs(); err != nil {
		return err
	}
	if err := removeIfExists(d.recPath); err != nil {
		return err
	}
	for _, b := range blobKinds {
		sum, err := d.hashes[b.Kind].sum()
		if err != nil {
			return err
		}
		d.sums.add(b.File, d.sizes[b.Kind], sum)
	}
	d.res.Files = d.sums.list()
	return nil
}

func fileOf(kind string) string {
	for _, b := range blobKinds {
		if b.Kind == kind {
			return b.File
		}
	}
	return kind
}

// completeDownload reports whether dir holds every file of meta at its
// size, and their total size.
func completeDownload(dir string, meta *mgmt.Metadata) (uint64, bool) {
	var total uint64
	sizes := []uint64{meta.WasmModuleSize, meta.WasmMemorySize, meta.StableMemorySize}
	for i, b := range blobKinds {
		st, err := os.Stat(filepath.Join(dir, b.File))
		if err != nil || uint64(st.Size()) != sizes[i] {
			return 0, false
		}
		total += sizes[i]
	}
	for _, ch := range meta.WasmChunkStore {
		st, err := os.Stat(filepath.Join(dir, chunkStoreDir, hex.EncodeToString(ch.Hash)+".bin"))
		if err != nil {
			return 0, false
		}
		total += uint64(st.Size())
	}
	return total, true
}
