package pluginapi

import "strings"

// The snapshot directory layout: the files a downloaded canister snapshot
// is made of, as icp's `canister snapshot download` writes them and every
// executor reads and writes them (reference C.5). Nothing else in an
// artifact directory is part of the snapshot.
const (
	// SnapshotMetadataFile is the snapshot's metadata (JSON).
	SnapshotMetadataFile = "metadata.json"
	// SnapshotWasmModuleFile is the canister's Wasm module.
	SnapshotWasmModuleFile = "wasm_module.bin"
	// SnapshotWasmMemoryFile is the canister's heap.
	SnapshotWasmMemoryFile = "wasm_memory.bin"
	// SnapshotStableMemoryFile is the canister's stable memory.
	SnapshotStableMemoryFile = "stable_memory.bin"
	// SnapshotChunkStoreDir holds the Wasm chunk store, one
	// <hex hash>.bin file per chunk.
	SnapshotChunkStoreDir = "wasm_chunk_store"
)

// SnapshotBlob is one byte blob of a snapshot: its kind in the management
// canister's read/upload_canister_snapshot_data calls and its file.
type SnapshotBlob struct {
	// Kind is the blob's variant name: wasm_module, wasm_memory or
	// stable_memory.
	Kind string
	// File is its file name in the snapshot directory.
	File string
}

// SnapshotBlobs returns the snapshot's byte blobs in icp's transfer order.
func SnapshotBlobs() []SnapshotBlob {
	return []SnapshotBlob{
		{"wasm_module", SnapshotWasmModuleFile},
		{"wasm_memory", SnapshotWasmMemoryFile},
		{"stable_memory", SnapshotStableMemoryFile},
	}
}

// SnapshotFiles returns the fixed files of a snapshot directory, metadata
// first and then the blobs in transfer order; chunk store files
// (SnapshotChunkFile) follow them.
func SnapshotFiles() []string {
	files := []string{SnapshotMetadataFile}
	for _, b := range SnapshotBlobs() {
		files = append(files, b.File)
	}
	return files
}

// SnapshotChunkFile is the slash-separated path, relative to the snapshot
// directory, of the chunk store file of the chunk with this hex hash.
func SnapshotChunkFile(hexHash string) string {
	return SnapshotChunkStoreDir + "/" + hexHash + ".bin"
}

// IsSnapshotFile reports whether rel (slash separated, relative to the
// snapshot directory) is part of a snapshot: a fixed file or a chunk store
// file.
func IsSnapshotFile(rel string) bool {
	for _, f := range SnapshotFiles() {
		if rel == f {
			return true
		}
	}
	return strings.HasPrefix(rel, SnapshotChunkStoreDir+"/") && strings.HasSuffix(rel, ".bin")
}
