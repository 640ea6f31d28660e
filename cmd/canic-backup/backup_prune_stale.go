package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/wire"
)

// leasePurpose is the purpose a backup command writes into the fleet
// lease: "backup VERB NAME" (purposeBackup reads the name back).
func leasePurpose(verb, name string) string { return "backup " + verb + " " + name }

// purposeBackup returns the backup a lease purpose names (leasePurpose).
func purposeBackup(purpose string) (string, bool) {
	f := strings.Fields(purpose)
	if len(f) != 3 || f[0] != "backup" {
		return "", false
	}
	return f[2], true
}

// liveLeaseBackups returns the backups that live fleet leases in s are
// working on (named by their purpose, "backup create NAME" or "backup
// resume NAME"): prune --stale never deletes those, however old their
// objects look. A lease record that cannot be read is an error: whether a
// run is alive would be unknown.
func liveLeaseBackups(ctx context.Context, s store.Store, now time.Time) (map[string]bool, error) {
	objs, err := s.List(ctx, archive.LocksPrefix)
	if err != nil {
		return nil, fmt.Errorf("list the locks of %s: %w", s, err)
	}
	live := map[string]bool{}
	for _, o := range objs {
		rec, err := readLeaseRecord(ctx, s, o.Key)
		if err != nil {
			return nil, err
		}
		exp, err := time.Parse(time.RFC3339Nano, rec.ExpiresAt)
		if rec.Released || (err == nil && now.After(exp)) {
			continue
		}
		if name, ok := purposeBackup(rec.Purpose); ok {
			live[name] = true
		}
	}
	return live, nil
}

func readLeaseRecord(ctx context.Context, s store.Store, key string) (store.LeaseRecord, error) {
	var rec store.LeaseRecord
	obj, err := s.Get(ctx, key)
	if err != nil {
		return rec, fmt.Errorf("read lock %s in %s: %w", key, s, err)
	}
	defer obj.Close()
	data, err := io.ReadAll(store.NewVerifyingReader(obj.Body, key, obj.Info.SHA256))
	if err != nil {
		return rec, fmt.Errorf("read lock %s in %s: %w", key, s, err)
	}
	if err := wire.Unmarshal(data, &rec); err != nil {
		return rec, fmt.Errorf("lock %s in %s: %w", key, s, err)
	}
	return rec, nil
}

// staleAborter is a store that can abort its unfinished multipart uploads
// (s3store).
type staleAborter interface {
	AbortStaleExcept(ctx context.Context, olderThan time.Time, keep func(key string) bool) (int, error)
}

// abortStaleUploads aborts the unfinished multipart uploads of s started
// before before (0 for a store without them), sparing those of the
// backups live names.
func abortStaleUploads(ctx context.Context, s store.Store, before time.Time, live map[string]bool) (int, error) {
	a, ok := s.(staleAborter)
	if !ok {
		return 0, nil
	}
	n, err := a.AbortStaleExcept(ctx, before, func(key string) bool {
		name, _, _ := strings.Cut(key, "/")
		return live[name]
	})
	if err != nil {
		return n, fmt.Errorf("abort the stale multipart uploads of %s: %w", s, err)
	}
	return n, nil
}
