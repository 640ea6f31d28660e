package sealed

import (
	"context"
	"sort"
	"time"
)

// BackupInfo is one backup of a sealed repository.
type BackupInfo struct {
	Name     string    `json:"name"`
	Created  time.Time `json:"created"`
	Complete bool      `json:"complete"`
	// Artifacts and Bytes are its artifacts and their plain size.
	Artifacts int   `json:"artifacts"`
	Bytes     int64 `json:"bytes"`
	// StoredBytes is the packed size of the distinct chunks it
	// references; UniqueBytes of those no other backup references (what
	// prune + gc would free).
	StoredBytes int64 `json:"stored_bytes"`
	UniqueBytes int64 `json:"unique_bytes"`
}

// List returns every backup, by name, with stored and unique bytes.
func (r *Repo) List(ctx context.Context) ([]BackupInfo, error) {
	sns, err := r.snapshots(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.loadIndex(ctx); err != nil {
		return nil, err
	}
	refs := map[ID]int{}
	ids := map[string]map[ID]bool{}
	for k, sn := range sns {
		ids[k] = sn.chunkIDs()
		for id := range ids[k] {
			refs[id]++
		}
	}
	out := make([]BackupInfo, 0, len(sns))
	for k, sn := range sns {
		bi := BackupInfo{Name: sn.Name, Created: sn.Created, Complete: sn.Complete, Artifacts: len(sn.Artifacts)}
		for _, a := range sn.Artifacts {
			for _, f := range a.Files {
				bi.Bytes += f.Size
			}
		}
		for id := range ids[k] {
			l, ok := r.lookup(id)
			if !ok {
				continue
			}
			bi.StoredBytes += l.Len
			if refs[id] == 1 {
				bi.UniqueBytes += l.Len
			}
		}
		out = append(out, bi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
