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
		fp := filepath.Join(dir, b.File)
		st, err := os.Stat(fp)
		if errors.Is(err, fs.ErrNotExist) && sizes[i] == 0 {
			continue // dfx omits empty blobs
		}
		if err != nil {
			return nil, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s: %v", fp, err)
		}
		if uint64(st.Size()) != sizes[i] {
			return nil, pluginapi.Errorf(pluginapi.CodeInvalidArgument, "%s is %d bytes but %s says %s_size %d",
				fp, st.Size(), p, b.Kind, sizes[i])
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

// upload runs one upload in steps: the resume record or a new snapshot
// (uploadRecord), the plan of chunks still to send (planUpload), then the
// chunks in parallel, recording finished ones at each checkpoint.
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
	rec, err := e.uploadRecord(ctx, c, meta, recPath)
	if err != nil {
		return res, err
	}
	res.SnapshotID = rec.SnapshotID
	sid, _ := hex.DecodeString(rec.SnapshotID)
	u := &uploadRun{e: e, c: c, sid: sid, dir: dir, progress: progress, rec: rec, recPath: recPath}
	if err := u.plan(meta); err != nil {
		return res, err
	}
	res.Bytes, res.ResumedBytes = u.total, u.done
	u.report(metadataFile)
	if err := e.runJobs(ctx, u.jobs, e.s.ChunkConcurrency, u.sendChunk, u.chunkDone, u.checkpoint); err != nil {
		return res, err
	}
	if err := removeIfExists(recPath); err != nil {
		return res, err
	}
	if len(u.jobs) == 0 {
		u.report(metadataFile)
	}
	return res, nil
}

// uploadRecord returns the record of the upload to continue: the one at
// recPath if its snapshot still exists on c (adopting the snapshot an
// interrupted upload created before recording it), else a new one for a
// snapshot created now from meta.
func (e *Executor) uploadRecord(ctx context.Context, c principal.Principal, meta *mgmt.Metadata, recPath string) (*transferRecord, error) {
	rec, err := readRecord(recPath)
	if err != nil {
		return nil, &fileError{recPath, err}
	}
	if rec != nil {
		if rec, err = e.resumableUpload(ctx, c, rec, recPath); err != nil {
			return nil, err
		}
	}
	if rec != nil {
		return rec, nil
	}
	return e.startUpload(ctx, c, meta, recPath)
}

// resumableUpload returns rec if its upload can resume (same canister and
// chunk size, its snapshot still there), or nil.
func (e *Executor) resumableUpload(ctx context.Context, c principal.Principal, rec *transferRecord, recPath string) (*transferRecord, error) {
	// Resume only into a snapshot that still exists on this canister.
	ok := false
	if rec.CanisterID == c.String() && rec.ChunkSize == mgmt.MaxSliceBytes {
		snaps, err := e.list(ctx, c)
		if err != nil {
			return nil, err
		}
		if rec.SnapshotID == "" {
			rec.SnapshotID = adoptUploaded(rec.Before, snaps)
			if rec.SnapshotID != "" {
				e.log.Info("adopting the snapshot an interrupted upload created", "canister", c.String(), "snapshot", rec.SnapshotID)
				if err := rec.write(recPath); err != nil {
					return nil, err
				}
			}
		}
		for _, s := range snaps {
			ok = ok || (rec.SnapshotID != "" && s.HexID() == rec.SnapshotID)
		}
	}
	if !ok {
		e.log.Info("ignoring an upload record for another canister or a snapshot that is gone", "record", recPath)
		return nil, nil
	}
	return rec, nil
}

// startUpload records the snapshots c has (so a snapshot created by a
// call whose reply is lost is found again), creates the snapshot with
// meta, and records it.
func (e *Executor) startUpload(ctx context.Context, c principal.Principal, meta *mgmt.Metadata, recPath string) (*transferRecord, error) {
	snaps, err := e.list(ctx, c)
	if err != nil {
		return nil, err
	}
	before := make([]string, 0, len(snaps))
	for _, s := range snaps {
		before = append(before, s.HexID())
	}
	intent := &transferRecord{CanisterID: c.String(), ChunkSize: mgmt.MaxSliceBytes, Done: map[string][]uint64{}, Before: before}
	if err := intent.write(recPath); err != nil {
		return nil, err
	}
	arg := func() ([]byte, error) { return mgmt.UploadMetadataArg(c, meta) }
	snap, err := e.createOnce(ctx, c, mgmt.MethodUploadMetadata, arg, mgmt.DecodeUploadMetadata)
	if err != nil {
		return nil, err
	}
	rec := &transferRecord{CanisterID: c.String(), SnapshotID: snap.HexID(), ChunkSize: mgmt.MaxSliceBytes, Done: map[string][]uint64{}}
	if err := rec.write(recPath); err != nil {
		return nil, err
	}
	return rec, nil
}

// uploadRun is the state of one upload's data transfer.
type uploadRun struct {
	e        *Executor
	c        principal.Principal
	sid      []byte
	dir      string
	progress pluginapi.ProgressFunc
	rec      *transferRecord
	recPath  string
	jobs     []job
	total    uint64
	done     uint64
	dirty    bool
	bufs     sync.Pool
}

func (u *uploadRun) report(file string) {
	if u.progress != nil {
		u.progress(pluginapi.Progress{BytesDone: u.done, BytesTotal: u.total, File: file})
	}
}

// plan lists the blob ranges and chunk store entries the record does not
// list as sent.
func (u *uploadRun) plan(meta *mgmt.Metadata) error {
	uploadedChunks := map[string]bool{}
	for _, h := range u.rec.ChunkStore {
		uploadedChunks[h] = true
	}
	sizes := []uint64{meta.WasmModuleSize, meta.WasmMemorySize, meta.StableMemorySize}
	for k, b := range blobKinds {
		size := sizes[k]
		u.total += size
		have := u.rec.doneSet(b.Kind)
		for i, off := uint64(0), uint64(0); off < size; i, off = i+1, off+mgmt.MaxSliceBytes {
			n := min(mgmt.MaxSliceBytes, size-off)
			if have[i] {
				u.done += n
				continue
			}
			u.jobs = append(u.jobs, job{kind: b.Kind, index: i, offset: off, size: n})
		}
	}
	for _, ch := range meta.WasmChunkStore {
		h := hex.EncodeToString(ch.Hash)
		st, err := os.Stat(filepath.Join(u.dir, chunkStoreDir, h+".bin"))
		if err != nil {
			return err
		}
		u.total += uint64(st.Size())
		if uploadedChunks[h] {
			u.done += uint64(st.Size())
			continue
		}
		u.jobs = append(u.jobs, job{kind: string(mgmt.KindWasmChunk), size: uint64(st.Size()), hash: ch.Hash})
	}
	u.bufs.New = func() any { b := make([]byte, mgmt.MaxSliceBytes); return &b }
	return nil
}

// sendChunk reads one planned range or chunk store entry and uploads it.
func (u *uploadRun) sendChunk(ctx context.Context, j job) error {
	bp := u.bufs.Get().(*[]byte)
	defer u.bufs.Put(bp)
	var p string
	if j.hash != nil {
		p = filepath.Join(u.dir, chunkStoreDir, hex.EncodeToString(j.hash)+".bin")
	} else {
		p = filepath.Join(u.dir, fileOf(j.kind))
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
	arg := mgmt.UploadDataArg(u.c, u.sid, mgmt.UploadKind(j.kind), j.offset, buf)
	_, _, err = u.e.mgmtCall(ctx, u.c, mgmt.MethodUploadData, arg)
	return err
}

func (u *uploadRun) chunkDone(j job) {
	killpoint.Hit(killpoint.AgentUploadChunk)
	if j.hash != nil {
		u.rec.ChunkStore = append(u.rec.ChunkStore, hex.EncodeToString(j.hash))
	} else {
		u.rec.Done[j.kind] = append(u.rec.Done[j.kind], j.index)
	}
	u.done += j.size
	u.dirty = true
	if u.progress != nil {
		f := fileOf(j.kind)
		if j.hash != nil {
			f = filepath.Join(chunkStoreDir, hex.EncodeToString(j.hash)+".bin")
		}
		u.report(f)
	}
}

func (u *uploadRun) checkpoint() error {
	if !u.dirty {
		return nil
	}
	u.dirty = false
	return u.rec.write(u.recPath)
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
