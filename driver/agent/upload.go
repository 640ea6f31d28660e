package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/aviate-labs/agent-go/principal"

	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/driver/agent/mgmt"
	"github.com/canic-backup/canic-backup/pluginapi"

	"github.com/canic-backup/canic-backup/internal/killpoint"
)

// UploadSnapshot uploads dir (icp's or dfx's layout) as a new snapshot of
// t: upload_canister_snapshot_metadata once (a lost response is reconciled
// by listing snapshots), then the data chunks in parallel, recording
// progress in a resume record so an interrupted upload resumes into the
// same snapshot. dir is only read: the record lives outside it, under
// os.UserCacheDir()/canic-backup/uploads (see WithUploadStateDir), named by
// the directory, the target and the files' sizes and times; it is removed
// on success.
func (e *Executor) UploadSnapshot(ctx context.Context, t pluginapi.Target, dir string, progress pluginapi.ProgressFunc) (pluginapi.TransferResult, error) {
	c, err := canister(t)
	if err != nil {
		return pluginapi.TransferResult{}, err
	}
	if dir == "" {
		return pluginapi.TransferResult{}, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "upload to %s: no directory given", t)
	}
	unlock, err := e.dirs.lock(ctx, dir)
	if err != nil {
		return pluginapi.TransferResult{}, err
	}
	defer unlock()
	res, err := e.upload(ctx, c, dir, progress)
	if err != nil {
		return res, classify("upload of "+dir+" to", t.String(), err)
	}
	return res, nil
}

// readMetadata reads and checks dir/metadata.json and the files it names.
func readMetadata(dir string) (*mgmt.Metadata, error) {
	p := filepath.Join(dir, metadataFile)
	data, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s does not exist: %s is not a snapshot directory", p, dir)
		}
		return nil, &fileError{p, err}
	}
	var m mgmt.Metadata
	if err := wire.Unmarshal(data, &m); err != nil {
		return nil, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s: %v", p, err)
	}
	if err := m.Validate(); err != nil {
		return nil, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s: %v", p, err)
	}
	sizes := []uint64{m.WasmModuleSize, m.WasmMemorySize, m.StableMemorySize}
	for i, b := range blobKinds {
		fp := filepath.Join(dir, b.file)
		st, err := os.Stat(fp)
		if errors.Is(err, fs.ErrNotExist) && sizes[i] == 0 {
			continue // dfx omits empty blobs
		}
		if err != nil {
			return nil, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s: %v", fp, err)
		}
		if uint64(st.Size()) != sizes[i] {
			return nil, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s is %d bytes but %s says %s_size %d",
				fp, st.Size(), p, b.kind, sizes[i])
		}
	}
	for i, ch := range m.WasmChunkStore {
		fp := filepath.Join(dir, chunkStoreDir, hex.EncodeToString(ch.Hash)+".bin")
		b, err := os.ReadFile(fp)
		if err != nil {
			return nil, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "wasm_chunk_store[%d] of %s: %v", i, p, err)
		}
		if sum := sha256.Sum256(b); !bytes.Equal(sum[:], ch.Hash) {
			return nil, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s: sha256 is %x, not the name's hash", fp, sum)
		}
	}
	return &m, nil
}

func (e *Executor) upload(ctx context.Context, c principal.Principal, dir string, progress pluginapi.ProgressFunc) (pluginapi.TransferResult, error) {
	var res pluginapi.TransferResult
	meta, err := readMetadata(dir)
	if err != nil {
		return res, err
	}
	recPath, err := e.uploadRecordPath(dir, c, meta)
	if err != nil {
		return res, err
	}
	rec, err := readRecord(recPath)
	if err != nil {
		return res, &fileError{recPath, err}
	}
	if rec != nil {
		// Resume only into a snapshot that still exists on this canister.
		ok := false
		if rec.CanisterID == c.String() && rec.ChunkSize == mgmt.MaxSliceBytes {
			snaps, err := e.list(ctx, c)
			if err != nil {
				return res, err
			}
			if rec.SnapshotID == "" {
				rec.SnapshotID = adoptUploaded(rec.Before, snaps)
				if rec.SnapshotID != "" {
					e.log.Info("adopting the snapshot an interrupted upload created", "canister", c.String(), "snapshot", rec.SnapshotID)
					if err := rec.write(recPath); err != nil {
						return res, err
					}
				}
			}
			for _, s := range snaps {
				ok = ok || (rec.SnapshotID != "" && s.HexID() == rec.SnapshotID)
			}
		}
		if !ok {
			e.log.Info("ignoring an upload record for another canister or a snapshot that is gone", "record", recPath)
			rec = nil
		}
	}
	if rec == nil {
		snaps, err := e.list(ctx, c)
		if err != nil {
			return res, err
		}
		before := make([]string, 0, len(snaps))
		for _, s := range snaps {
			before = append(before, s.HexID())
		}
		intent := &transferRecord{CanisterID: c.String(), ChunkSize: mgmt.MaxSliceBytes, Done: map[string][]uint64{}, Before: before}
		if err := intent.write(recPath); err != nil {
			return res, err
		}
		arg := func() ([]byte, error) { return mgmt.UploadMetadataArg(c, meta) }
		snap, err := e.createOnce(ctx, c, mgmt.MethodUploadMetadata, arg, mgmt.DecodeUploadMetadata)
		if err != nil {
			return res, err
		}
		rec = &transferRecord{CanisterID: c.String(), SnapshotID: snap.HexID(), ChunkSize: mgmt.MaxSliceBytes, Done: map[string][]uint64{}}
		if err := rec.write(recPath); err != nil {
			return res, err
		}
	}
	res.SnapshotID = rec.SnapshotID
	sid, _ := hex.DecodeString(rec.SnapshotID)

	var jobs []job
	var total, done uint64
	uploadedChunks := map[string]bool{}
	for _, h := range rec.ChunkStore {
		uploadedChunks[h] = true
	}
	sizes := []uint64{meta.WasmModuleSize, meta.WasmMemorySize, meta.StableMemorySize}
	for k, b := range blobKinds {
		size := sizes[k]
		total += size
		have := rec.doneSet(b.kind)
		for i, off := uint64(0), uint64(0); off < size; i, off = i+1, off+mgmt.MaxSliceBytes {
			n := min(mgmt.MaxSliceBytes, size-off)
			if have[i] {
				done += n
				continue
			}
			jobs = append(jobs, job{kind: b.kind, index: i, offset: off, size: n})
		}
	}
	for _, ch := range meta.WasmChunkStore {
		h := hex.EncodeToString(ch.Hash)
		st, err := os.Stat(filepath.Join(dir, chunkStoreDir, h+".bin"))
		if err != nil {
			return res, err
		}
		total += uint64(st.Size())
		if uploadedChunks[h] {
			done += uint64(st.Size())
			continue
		}
		jobs = append(jobs, job{kind: string(mgmt.KindWasmChunk), size: uint64(st.Size()), hash: ch.Hash})
	}
	res.Bytes, res.ResumedBytes = total, done
	if progress != nil {
		progress(pluginapi.Progress{BytesDone: done, BytesTotal: total, File: metadataFile})
	}
	bufs := sync.Pool{New: func() any { b := make([]byte, mgmt.MaxSliceBytes); return &b }}
	dirty := false
	do := func(ctx context.Context, j job) error {
		bp := bufs.Get().(*[]byte)
		defer bufs.Put(bp)
		var p string
		if j.hash != nil {
			p = filepath.Join(dir, chunkStoreDir, hex.EncodeToString(j.hash)+".bin")
		} else {
			p = filepath.Join(dir, fileOf(j.kind))
		}
		if j.size > uint64(len(*bp)) {
			return fmt.Errorf("%s: chunk of %d bytes exceeds the %d-byte upload limit", p, j.size, len(*bp))
		}
		f, err := os.Open(p)
		if err != nil {
			return &fileError{p, err}
		}
		buf := (*bp)[:j.size]
		_, err = f.ReadAt(buf, int64(j.offset))
		_ = f.Close()
		if err != nil && !(errors.Is(err, io.EOF) && j.size == 0) {
			return &fileError{p, err}
		}
		arg := mgmt.UploadDataArg(c, sid, mgmt.UploadKind(j.kind), j.offset, buf)
		_, _, err = e.mgmtCall(ctx, c, mgmt.MethodUploadData, arg)
		return err
	}
	onDone := func(j job) {
		killpoint.Hit(killpoint.AgentUploadChunk)
		if j.hash != nil {
			rec.ChunkStore = append(rec.ChunkStore, hex.EncodeToString(j.hash))
		} else {
			rec.Done[j.kind] = append(rec.Done[j.kind], j.index)
		}
		done += j.size
		dirty = true
		if progress != nil {
			f := fileOf(j.kind)
			if j.hash != nil {
				f = filepath.Join(chunkStoreDir, hex.EncodeToString(j.hash)+".bin")
			}
			progress(pluginapi.Progress{BytesDone: done, BytesTotal: total, File: f})
		}
	}
	checkpoint := func() error {
		if !dirty {
			return nil
		}
		dirty = false
		return rec.write(recPath)
	}
	if err := e.runJobs(ctx, jobs, e.s.ChunkConcurrency, do, onDone, checkpoint); err != nil {
		return res, err
	}
	if err := removeIfExists(recPath); err != nil {
		return res, err
	}
	if progress != nil && len(jobs) == 0 {
		progress(pluginapi.Progress{BytesDone: done, BytesTotal: total, File: metadataFile})
	}
	return res, nil
}

// adoptUploaded returns the one snapshot in now that is not in before (the
// one an interrupted upload created before recording it), or "" when there
// is none or more than one (then nothing is adopted: a fresh upload starts).
func adoptUploaded(before []string, now []mgmt.Snapshot) string {
	known := map[string]bool{}
	for _, id := range before {
		known[id] = true
	}
	found := ""
	for _, s := range now {
		if !known[s.HexID()] {
			if found != "" {
				return ""
			}
			found = s.HexID()
		}
	}
	return found
}
