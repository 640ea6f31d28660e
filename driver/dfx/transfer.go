package dfx

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/canic-backup/canic-backup/pluginapi"
)

// Snapshot directory helpers (reference C.5): the same layout as the agent
// driver writes — metadata.json, wasm_module.bin, wasm_memory.bin,
// stable_memory.bin, wasm_chunk_store/<hash>.bin — plus icp's .lock and
// progress files, which are not part of the snapshot.

const (
	metadataFile       = pluginapi.SnapshotMetadataFile
	icpDownloadProgess = ".download_progress.json"
	icpUploadProgress  = ".upload_progress.json"
	icpLockFile        = ".lock"
)

// snapshotFile reports whether rel (slash separated) is part of a snapshot.
func snapshotFile(rel string) bool { return pluginapi.IsSnapshotFile(rel) }

// treeBytes sums the sizes of dir's snapshot files.
func treeBytes(dir string) (uint64, error) {
	var total uint64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if !snapshotFile(filepath.ToSlash(rel)) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += uint64(info.Size())
		return nil
	})
	return total, err
}

// hasSnapshotFiles reports whether dir holds any snapshot file.
func hasSnapshotFiles(dir string) bool {
	n, err := treeBytes(dir)
	if err != nil {
		return false
	}
	if n > 0 {
		return true
	}
	_, err = os.Stat(filepath.Join(dir, metadataFile))
	return err == nil
}

// snapshotMeta holds the sizes metadata.json declares.
type snapshotMeta struct {
	WasmModuleSize   uint64            `json:"wasm_module_size"`
	WasmMemorySize   uint64            `json:"wasm_memory_size"`
	StableMemorySize uint64            `json:"stable_memory_size"`
	WasmChunkStore   []json.RawMessage `json:"wasm_chunk_store"`
}

func readMeta(dir string) (snapshotMeta, bool) {
	var m snapshotMeta
	b, err := os.ReadFile(filepath.Join(dir, metadataFile))
	if err != nil || json.Unmarshal(b, &m) != nil {
		return m, false
	}
	return m, true
}

// icpProgress is icp's .download_progress.json: per blob, the offset up to
// which every chunk is written and the offsets of chunks written beyond.
type icpProgress map[string]struct {
	Frontier uint64   `json:"frontier"`
	Ahead    []uint64 `json:"ahead"`
}

// chunkSize is icp's transfer chunk (reference C.5).
const chunkSize = 2_000_000

// bytesPresent estimates how many snapshot bytes dir already holds.
// icp pre-allocates blob files, so their length says nothing while
// .download_progress.json exists; then its frontiers and chunks count.
func bytesPresent(dir string) uint64 {
	b, err := os.ReadFile(filepath.Join(dir, icpDownloadProgess))
	if errors.Is(err, fs.ErrNotExist) {
		n, _ := treeBytes(dir)
		return n
	}
	var prog icpProgress
	if err != nil || json.Unmarshal(b, &prog) != nil {
		return 0
	}
	meta, _ := readMeta(dir)
	sizes := map[string]uint64{"wasm_module": meta.WasmModuleSize, "wasm_memory": meta.WasmMemorySize, "stable_memory": meta.StableMemorySize}
	var done uint64
	for blob, p := range prog {
		n := p.Frontier
		for _, off := range p.Ahead {
			end := off + chunkSize
			if s := sizes[blob]; s > 0 && end > s {
				end = s
			}
			if end > off {
				n += end - off
			}
		}
		done += n
	}
	if st, err := os.Stat(filepath.Join(dir, metadataFile)); err == nil {
		done += uint64(st.Size())
	}
	return done
}

// expectedBytes is the size metadata.json promises (0 before it exists);
// chunk-store files are counted once present.
func expectedBytes(dir string) uint64 {
	meta, ok := readMeta(dir)
	if !ok {
		return 0
	}
	total := meta.WasmModuleSize + meta.WasmMemorySize + meta.StableMemorySize
	if st, err := os.Stat(filepath.Join(dir, metadataFile)); err == nil {
		total += uint64(st.Size())
	}
	return total
}

// dfxUploadResumeID finds the progress file dfx leaves in an interrupted
// upload's directory: <dir>/<snapshot id hex>.json.
func dfxUploadResumeID(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		name := e.Name()
		id, ok := strings.CutSuffix(name, ".json")
		if ok && name != metadataFile && isHex(id) {
			return strings.ToLower(id)
		}
	}
	return ""
}
