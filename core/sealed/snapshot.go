package sealed

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/canic-backup/canic-backup/core/store"
)

// snapshot is one backup of a sealed repository.
type snapshot struct {
	Name     string    `json:"name"`
	Created  time.Time `json:"created"`
	Complete bool      `json:"complete"`
	// Artifacts by their path in the backup.
	Artifacts map[string]*artifactRec `json:"artifacts"`
	// Documents by file name: age ciphertext of the document.
	Documents map[string][]byte `json:"documents"`
}

type artifactRec struct {
	// KeyedSum is HMAC(dedup key, checksum): Has can compare checksums
	// without the snapshot revealing them.
	KeyedSum string `json:"keyed_sum"`
	// Dir is true for a directory artifact.
	Dir   bool      `json:"dir"`
	Files []fileRec `json:"files"`
}

type fileRec struct {
	// Path is the file's path in the artifact ("" for a file artifact).
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	Chunks []ID   `json:"chunks"`
}

func (r *Repo) snapshotKey(name string) string {
	return SnapshotPrefix + hex.EncodeToString(mac(r.dedup, "snapshot:"+name))
}

func (r *Repo) keyedSum(sum string) string {
	return hex.EncodeToString(mac(r.dedup, "sum:"+sum))
}

// readSnapshot reads the snapshot of backup name; ErrNotFound-matching
// error when there is none.
func (r *Repo) readSnapshot(ctx context.Context, name string) (*snapshot, error) {
	return r.readSnapshotKey(ctx, r.snapshotKey(name))
}

func (r *Repo) readSnapshotKey(ctx context.Context, key string) (*snapshot, error) {
	b, err := readAll(ctx, r.s, key)
	if err != nil {
		return nil, err
	}
	p, err := r.unseal(key, b)
	if err != nil {
		return nil, err
	}
	var sn snapshot
	if err := json.Unmarshal(p, &sn); err != nil {
		return nil, fmt.Errorf("store %s: %s: %w", r.name, key, err)
	}
	return &sn, nil
}

func (r *Repo) writeSnapshot(ctx context.Context, sn *snapshot) error {
	p, err := json.Marshal(sn)
	if err != nil {
		return err
	}
	_, err = r.s.Put(ctx, r.snapshotKey(sn.Name), bytes.NewReader(r.seal(p)), store.PutOptions{})
	if err != nil {
		return fmt.Errorf("store %s: snapshot of %s: %w", r.name, sn.Name, err)
	}
	return nil
}

// snapshots reads every snapshot, by key.
func (r *Repo) snapshots(ctx context.Context) (map[string]*snapshot, error) {
	objs, err := r.s.List(ctx, SnapshotPrefix)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", r.name, err)
	}
	out := map[string]*snapshot{}
	for _, o := range objs {
		sn, err := r.readSnapshotKey(ctx, o.Key)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[o.Key] = sn
	}
	return out, nil
}

// Has reports whether backup name exists in the repository (complete or
// not).
func (r *Repo) Has(ctx context.Context, name string) (bool, error) {
	_, err := r.s.Stat(ctx, r.snapshotKey(name))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// ErrNoBackup is matched when a backup is not in the repository.
var ErrNoBackup = errors.New("no such backup in the store")

func (r *Repo) mustSnapshot(ctx context.Context, name string) (*snapshot, error) {
	sn, err := r.readSnapshot(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("store %s: %s: %w", r.name, name, ErrNoBackup)
	}
	return sn, err
}

// Forget removes backup name's snapshot (its chunks stay until gc).
func (r *Repo) Forget(ctx context.Context, name string) error {
	if ok, err := r.Has(ctx, name); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("store %s: %s: %w", r.name, name, ErrNoBackup)
	}
	return r.s.Delete(ctx, r.snapshotKey(name))
}

// chunkIDs lists every chunk a snapshot references.
func (sn *snapshot) chunkIDs() map[ID]bool {
	ids := map[ID]bool{}
	for _, a := range sn.Artifacts {
		for _, f := range a.Files {
			for _, c := range f.Chunks {
				ids[c] = true
			}
		}
	}
	return ids
}

func cleanRel(rel string) string { return strings.TrimSuffix(rel, "/") }
