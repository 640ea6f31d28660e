package agent

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/wire"
	"github.com/canic-backup/canic-backup/internal/atomicfile"
	"github.com/canic-backup/canic-backup/pluginapi"
)

// File names of the icp snapshot directory layout and this driver's
// download resume record (upload records live outside the directory, see
// uploadRecordPath).
const (
	metadataFile     = pluginapi.SnapshotMetadataFile
	chunkStoreDir    = pluginapi.SnapshotChunkStoreDir
	downloadProgress = ".canic_download_progress.json"
)

// blobKinds are the snapshot's byte blobs, in icp's download order.
var blobKinds = pluginapi.SnapshotBlobs()

// transferRecord is the resume record of a download or upload: which
// chunks (by index of chunk_size ranges) of each blob are durably done.
type transferRecord struct {
	// CanisterID is the canister the transfer is about.
	CanisterID string `json:"canister_id"`
	// SnapshotID is the snapshot being downloaded, or the one created for
	// an upload.
	SnapshotID string `json:"snapshot_id"`
	// ChunkSize is the range size the indices refer to.
	ChunkSize uint64 `json:"chunk_size"`
	// Done maps a blob kind to its finished chunk indices.
	Done map[string][]uint64 `json:"done"`
	// ChunkStore lists uploaded chunk-store hashes (uploads only).
	ChunkStore []string `json:"chunk_store" wire:"default"`
	// Before lists the canister's snapshots before an upload created its
	// own (uploads only, written with an empty SnapshotID before
	// upload_canister_snapshot_metadata is sent): a process killed before
	// it recorded the new snapshot's id finds it again as the one new
	// snapshot, instead of leaving it behind in one of the 10 slots.
	Before []string `json:"before" wire:"default"`
}

func readRecord(path string) (*transferRecord, error) {
	var r transferRecord
	if err := layout.ReadJSON(path, &r); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	if r.Done == nil {
		r.Done = map[string][]uint64{}
	}
	return &r, nil
}

func (r *transferRecord) write(path string) error {
	for k := range r.Done {
		sort.Slice(r.Done[k], func(i, j int) bool { return r.Done[k][i] < r.Done[k][j] })
	}
	return layout.WriteJSONAtomic(path, r)
}

func (r *transferRecord) doneSet(kind string) map[uint64]bool {
	out := map[uint64]bool{}
	for _, i := range r.Done[kind] {
		out[i] = true
	}
	return out
}

func encodeJSON(v any) ([]byte, error) { return wire.MarshalPretty(v) }

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(path))
}
