package pluginapi

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSnapshotLayout: the snapshot directory layout is icp's (reference
// C.5): metadata, the three blobs in transfer order with their management
// canister kinds, chunk store files; icp's own lock and progress files and
// anything else are not part of a snapshot.
func TestSnapshotLayout(t *testing.T) {
	assert.Equal(t, []string{"metadata.json", "wasm_module.bin", "wasm_memory.bin", "stable_memory.bin"}, SnapshotFiles())
	assert.Equal(t, []SnapshotBlob{{"wasm_module", "wasm_module.bin"}, {"wasm_memory", "wasm_memory.bin"}, {"stable_memory", "stable_memory.bin"}}, SnapshotBlobs())
	assert.Equal(t, "wasm_chunk_store/ab01.bin", SnapshotChunkFile("ab01"))
	for _, in := range []string{"metadata.json", "wasm_module.bin", "wasm_memory.bin", "stable_memory.bin", "wasm_chunk_store/ab01.bin"} {
		assert.True(t, IsSnapshotFile(in), in)
	}
	for _, out := range []string{".lock", ".upload_progress.json", ".download_progress.json", ".canic_download_progress.json", "wasm_chunk_store/x.tmp", "wasm_chunk_store", "other.bin", "sub/metadata.json"} {
		assert.False(t, IsSnapshotFile(out), out)
	}
}
