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

func (e *Executor) download(ctx context.Context, c principal.Principal, sid []byte, dir string, progress pluginapi.ProgressFunc) (pluginapi.TransferResult, error) {
	id := hex.EncodeToString(sid)
	res := pluginapi.TransferResult{SnapshotID: id}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "create download directory %s: %v", dir, err)
	}
	arg, err := mgmt.SnapshotArg(c, sid)
	if err != nil {
		return res, err
	}
	raw, _, err := e.mgmtCall(ctx, c, mgmt.MethodReadMetadata, arg)
	if err != nil {
		return res, err
	}
	meta, err := mgmt.DecodeMetadata(raw)
	if err != nil {
		return res, err
	}
	metaJSON, err := encodeJSON(meta)
	if err != nil {
		return res, err
	}
	metaPath := filepath.Join(dir, metadataFile)
	recPath := filepath.Join(dir, downloadProgress)
	rec, err := readRecord(recPath)
	if err != nil {
		return res, &fileError{recPath, err}
	}
	if rec != nil && (rec.SnapshotID != id || rec.CanisterID != c.String() || rec.ChunkSize != mgmt.MaxSliceBytes) {
		return res, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s records a download of snapshot %s of %s; refusing to mix it with snapshot %s of %s",
			recPath, rec.SnapshotID, rec.CanisterID, id, c)
	}
	old, err := os.ReadFile(metaPath)
	switch {
	case err == nil && !bytes.Equal(old, metaJSON):
		return res, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s describes another snapshot than %s of %s; use an empty directory", metaPath, id, c)
	case err == nil && rec == nil:
		// A finished download: keep it if every file is complete.
		if total, ok := completeDownload(dir, meta); ok {
			res.Bytes, res.ResumedBytes = total, total
			if progress != nil {
				progress(pluginapi.Progress{BytesDone: total, BytesTotal: total, File: metadataFile})
			}
			return res, nil
		}
		rec = &transferRecord{CanisterID: c.String(), SnapshotID: id, ChunkSize: mgmt.MaxSliceBytes, Done: map[string][]uint64{}}
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return res, &fileError{metaPath, err}
	case rec == nil:
		rec = &transferRecord{CanisterID: c.String(), SnapshotID: id, ChunkSize: mgmt.MaxSliceBytes, Done: map[string][]uint64{}}
	}
	if err := rec.write(recPath); err != nil {
		return res, err
	}
	if err := atomicfile.WriteFile(metaPath, metaJSON, 0o644); err != nil {
		return res, err
	}
	// Every file's digest is computed from the bytes as they are written.
	var sums digests
	sums.addBytes(metadataFile, metaJSON)

	// The chunk store first (small entries, each written atomically).
	storeDir := filepath.Join(dir, chunkStoreDir)
	if err := os.MkdirAll(storeDir, 0o755); err != nil {
		return res, &fileError{storeDir, err}
	}
	var total, done uint64
	for _, ch := range meta.WasmChunkStore {
		name := hex.EncodeToString(ch.Hash) + ".bin"
		p := filepath.Join(storeDir, name)
		if b, err := os.ReadFile(p); err == nil {
			if sum := sha256.Sum256(b); bytes.Equal(sum[:], ch.Hash) {
				total += uint64(len(b))
				done += uint64(len(b))
				res.ResumedBytes += uint64(len(b))
				sums.add(chunkStoreDir+"/"+name, uint64(len(b)), hex.EncodeToString(sum[:]))
				continue
			}
		}
		a, err := mgmt.ReadChunkArg(c, sid, ch.Hash)
		if err != nil {
			return res, err
		}
		raw, _, err := e.mgmtCall(ctx, c, mgmt.MethodReadData, a)
		if err != nil {
			return res, err
		}
		data, err := mgmt.DecodeChunk(raw)
		if err != nil {
			return res, err
		}
		if err := atomicfile.WriteFile(p, data, 0o644); err != nil {
			return res, err
		}
		sums.addBytes(chunkStoreDir+"/"+name, data)
		total += uint64(len(data))
		done += uint64(len(data))
	}

	files := map[string]*os.File{}
	hashes := map[string]*orderedHash{}
	defer func() {
		for _, h := range hashes {
			h.release()
		}
	}()
	defer func() {
		for _, f := range files {
			_ = f.Close()
		}
	}()
	var jobs []job
	sizes := map[string]uint64{"wasm_module": meta.WasmModuleSize, "wasm_memory": meta.WasmMemorySize, "stable_memory": meta.StableMemorySize}
	for _, b := range blobKinds {
		size := sizes[b.kind]
		total += size
		p := filepath.Join(dir, b.file)
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return res, &fileError{p, err}
		}
		files[b.kind] = f
		if st, err := f.Stat(); err != nil || uint64(st.Size()) != size {
			if err := f.Truncate(int64(size)); err != nil {
				return res, &fileError{p, err}
			}
		}
		have := rec.doneSet(b.kind)
		hashes[b.kind] = newOrderedHash(e.hashBudget, f, size, mgmt.MaxSliceBytes)
		for i, off := uint64(0), uint64(0); off < size; i, off = i+1, off+mgmt.MaxSliceBytes {
			n := min(mgmt.MaxSliceBytes, size-off)
			if have[i] {
				hashes[b.kind].have(i)
				done += n
				res.ResumedBytes += n
				continue
			}
			jobs = append(jobs, job{kind: b.kind, index: i, offset: off, size: n})
		}
	}
	res.Bytes = total
	if progress != nil {
		progress(pluginapi.Progress{BytesDone: done, BytesTotal: total, File: metadataFile})
	}
	var mu sync.Mutex // guards dirty
	dirty := false
	do := func(ctx context.Context, j job) error {
		a, err := mgmt.ReadRangeArg(c, sid, j.kind, j.offset, j.size)
		if err != nil {
			return err
		}
		raw, _, err := e.mgmtCall(ctx, c, mgmt.MethodReadData, a)
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
		if _, err := files[j.kind].WriteAt(data, int64(j.offset)); err != nil {
			return &fileError{files[j.kind].Name(), err}
		}
		return hashes[j.kind].written(j.index, data)
	}
	onDone := func(j job) {
		killpoint.Hit(killpoint.AgentDownloadChunk)
		rec.Done[j.kind] = append(rec.Done[j.kind], j.index)
		done += j.size
		mu.Lock()
		dirty = true
		mu.Unlock()
		if progress != nil {
			progress(pluginapi.Progress{BytesDone: done, BytesTotal: total, File: fileOf(j.kind)})
		}
	}
	checkpoint := func() error {
		mu.Lock()
		d := dirty
		dirty = false
		mu.Unlock()
		if !d {
			return nil
		}
		for _, f := range files {
			if err := f.Sync(); err != nil {
				return &fileError{f.Name(), err}
			}
		}
		return rec.write(recPath)
	}
	if err := e.runJobs(ctx, jobs, e.s.ChunkConcurrency, do, onDone, checkpoint); err != nil {
		return res, err
	}
	for _, f := range files {
		if err := f.Sync(); err != nil {
			return res, &fileError{f.Name(), err}
		}
	}
	if err := removeIfExists(recPath); err != nil {
		return res, err
	}
	for _, b := range blobKinds {
		sum, err := hashes[b.kind].sum()
		if err != nil {
			return res, err
		}
		sums.add(b.file, sizes[b.kind], sum)
	}
	res.Files = sums.list()
	if progress != nil && len(jobs) == 0 {
		progress(pluginapi.Progress{BytesDone: done, BytesTotal: total, File: metadataFile})
	}
	return res, nil
}

func fileOf(kind string) string {
	for _, b := range blobKinds {
		if b.kind == kind {
			return b.file
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
		st, err := os.Stat(filepath.Join(dir, b.file))
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
