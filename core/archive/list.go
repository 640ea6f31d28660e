package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/store"
)

// List returns the backups in s, sorted by name. Keys outside any backup
// (the locks/ prefix, stray top-level objects) are not backups.
func List(ctx context.Context, s store.Store) ([]Backup, error) {
	objs, err := s.List(ctx, "")
	if err != nil {
		return nil, err
	}
	byName := map[string]*Backup{}
	for _, o := range objs {
		name, rel, ok := strings.Cut(o.Key, "/")
		if !ok || name+"/" == LocksPrefix || rel == "" {
			continue
		}
		b := byName[name]
		if b == nil {
			b = &Backup{Name: name}
			byName[name] = b
		}
		b.Objects++
		b.Bytes += o.Size
		if o.Modified.After(b.Modified) {
			b.Modified = o.Modified
		}
		switch rel {
		case layout.ManifestFile:
			b.HasManifest = true
		case layout.PlanFile:
			b.HasPlan = true
		}
	}
	out := make([]Backup, 0, len(byName))
	for _, b := range byName {
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ListObjects returns the objects of the backup name (keys NAME/...),
// sorted by key.
func ListObjects(ctx context.Context, s store.Store, name string) ([]store.ObjectInfo, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	return s.List(ctx, name+"/")
}

// ErrInvalidName is matched by errors about a backup name that cannot be a
// key prefix (empty, containing '/', reserved, or the locks prefix).
var ErrInvalidName = errors.New("invalid backup name")

func checkName(name string) error {
	switch {
	case name == "" || strings.Contains(name, "/"):
		return fmt.Errorf("%w %q: must be one non-empty key segment", ErrInvalidName, name)
	case name+"/" == LocksPrefix:
		return fmt.Errorf("%w %q: %q holds locks, not backups", ErrInvalidName, name, LocksPrefix)
	}
	if err := store.ValidateKey(name); err != nil {
		return fmt.Errorf("%w %q: %w", ErrInvalidName, name, err)
	}
	return nil
}

// Key returns the key of the file rel (slash-separated) of the backup name.
func Key(name, rel string) string { return name + "/" + rel }

// ReadDocument returns the document file (a layout name such as
// layout.ManifestFile) of the backup name, verified against its recorded
// SHA-256; store.ErrNotFound when it is missing.
func ReadDocument(ctx context.Context, s store.Store, name, file string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	key := Key(name, file)
	obj, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	vr := store.NewVerifyingReader(obj.Body, key, obj.Info.SHA256)
	data, err := io.ReadAll(vr)
	if err != nil {
		return nil, &store.OpError{Store: s.String(), Op: "get", Key: key, Err: err}
	}
	if int64(len(data)) != obj.Info.Size {
		return nil, &store.OpError{Store: s.String(), Op: "get", Key: key,
			Err: fmt.Errorf("%w: size %d, read %d bytes", store.ErrDigestMismatch, obj.Info.Size, len(data))}
	}
	return data, nil
}

// Delete removes the backup name from s: the manifest first (so a reader
// never sees a complete-looking backup with objects missing), then every
// other object.
func Delete(ctx context.Context, s store.Store, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := s.Delete(ctx, Key(name, layout.ManifestFile)); err != nil {
		return err
	}
	objs, err := s.List(ctx, name+"/")
	if err != nil {
		return err
	}
	for _, o := range objs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.Delete(ctx, o.Key); err != nil {
			return err
		}
	}
	return nil
}

func sortInfos(objs []store.ObjectInfo) {
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
}

// indexObjects checks name and returns the objects of the backup name in s
// by key.
func indexObjects(ctx context.Context, s store.Store, name string) (map[string]store.ObjectInfo, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	objs, err := ListObjects(ctx, s, name)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]store.ObjectInfo, len(objs))
	for _, o := range objs {
		byKey[o.Key] = o
	}
	return byKey, nil
}

// Index is the listing of one stored backup by key, for reuse across
// calls on a backup that does not change meanwhile (a published one).
type Index struct {
	store string
	name  string
	byKey map[string]store.ObjectInfo
}

// IndexBackup lists the backup name in s once.
func IndexBackup(ctx context.Context, s store.Store, name string) (*Index, error) {
	byKey, err := indexObjects(ctx, s, name)
	if err != nil {
		return nil, err
	}
	return &Index{store: s.String(), name: name, byKey: byKey}, nil
}

// Objects is how many objects the index holds.
func (ix *Index) Objects() int { return len(ix.byKey) }
