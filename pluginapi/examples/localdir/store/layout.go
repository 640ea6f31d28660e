// Package store is the implementation behind the localdir example plugin: an
// executor that serves canisters and snapshots from a local directory and
// records every call it receives. It exists to show plugin authors a
// complete executor and to exercise the plugin contract in tests.
//
// Directory layout under the root:
//
//	fleet.json                          identity, root canister, registry
//	canisters/<id>/canister.json        status, controllers, module hash
//	canisters/<id>/state/               the live state, in icp's snapshot layout
//	canisters/<id>/snapshots/<sid>/     one snapshot: snapshot.json + the files
//	calls.jsonl                         one line per call received
package store

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/pluginapi"
)

// Fleet is fleet.json.
type Fleet struct {
	// Identity is the principal the executor acts as.
	Identity string `json:"identity"`
	// Root is the fleet's root canister.
	Root string `json:"root"`
	// Registry is what the root's canic_subnet_registry returns.
	Registry []RegistryEntry `json:"registry"`
}

// RegistryEntry is one registry record in fleet.json.
type RegistryEntry struct {
	PID        string  `json:"pid"`
	Role       string  `json:"role"`
	ParentPID  *string `json:"parent_pid"`
	ModuleHash *string `json:"module_hash"`
	CreatedAt  uint64  `json:"created_at"`
}

// Canister is canisters/<id>/canister.json.
type Canister struct {
	Status      string   `json:"status"`
	Controllers []string `json:"controllers"`
	ModuleHash  string   `json:"module_hash"`
	NextLocalID uint64   `json:"next_local_id" wire:"default"`
}

// Snapshot is canisters/<id>/snapshots/<sid>/snapshot.json.
type Snapshot struct {
	ID               string `json:"id"`
	TakenAtTimestamp uint64 `json:"taken_at_timestamp"`
	TotalSize        uint64 `json:"total_size"`
}

// blobFiles are the snapshot files in icp's directory layout, in transfer
// order. Chunk store files follow them.
func blobFiles() []string {
	return pluginapi.SnapshotFiles()
}

// chunkStoreDir holds wasm_chunk_store/<hex hash>.bin.
const chunkStoreDir = pluginapi.SnapshotChunkStoreDir

func readDoc(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := wire.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// writeDoc writes v to path atomically (temp file, fsync, rename).
func writeDoc(path string, v any) error {
	b, err := wire.MarshalPretty(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return writeFileAtomic(path, b)
}

func writeFileAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// snapshotFiles lists the files of a snapshot directory relative to it, in
// transfer order.
func snapshotFiles(dir string) ([]string, error) {
	var out []string
	for _, f := range blobFiles() {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	entries, err := os.ReadDir(filepath.Join(dir, chunkStoreDir))
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	for _, e := range entries {
		if !e.IsDir() && filepath.Ext(e.Name()) == ".bin" {
			out = append(out, filepath.Join(chunkStoreDir, e.Name()))
		}
	}
	return out, nil
}
