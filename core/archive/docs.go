package archive

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/wire"
)

// Docs reads the documents of one backup, wherever it lives: a backup
// directory (DirDocs) or a backup in a remote store (StoreDocs). `backup
// list`, `inspect` and `prune` build their rows from these bytes.
type Docs interface {
	// Has reports whether the document file exists; an error means the
	// question could not be answered (I/O, network).
	Has(file string) (bool, error)
	// Read returns the document's bytes; an error here makes the document
	// invalid (unreadable, digest mismatch), not the command fail.
	Read(file string) ([]byte, error)
	// Where names the document for messages.
	Where(file string) string
}

// DirDocs reads the documents of a backup directory (no-follow, size
// capped: layout.ReadDocument).
type DirDocs string

func (d DirDocs) path(file string) string { return filepath.Join(string(d), file) }

// Has reports whether file exists in the directory.
func (d DirDocs) Has(file string) (bool, error) { return layout.Exists(d.path(file)) }

// Read reads file from the directory.
func (d DirDocs) Read(file string) ([]byte, error) {
	return layout.ReadDocument(d.path(file), layout.MaxDocumentSize)
}

// Where is file's path.
func (d DirDocs) Where(file string) string { return d.path(file) }

// StoreDocs reads the documents of one backup in a store, each once
// (ReadDocument checks the recorded SHA-256 while reading).
type StoreDocs struct {
	ctx  context.Context
	s    store.Store
	name string
	url  string

	mu    sync.Mutex
	cache map[string]storeDoc
}

type storeDoc struct {
	data  []byte
	found bool
	err   error // content error: the document is invalid
	fatal error // the store could not be asked
}

// NewStoreDocs reads the documents of backup name in s; url names the
// backup in messages (s3://bucket/prefix/NAME).
func NewStoreDocs(ctx context.Context, s store.Store, name, url string) *StoreDocs {
	return &StoreDocs{ctx: ctx, s: s, name: name, url: url, cache: map[string]storeDoc{}}
}

func (d *StoreDocs) get(file string) storeDoc {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r, ok := d.cache[file]; ok {
		return r
	}
	data, err := ReadDocument(d.ctx, d.s, d.name, file)
	var r storeDoc
	switch {
	case err == nil:
		r = storeDoc{data: data, found: true}
	case errors.Is(err, store.ErrNotFound):
	case errors.Is(err, store.ErrDigestMismatch):
		r = storeDoc{found: true, err: err}
	default:
		r = storeDoc{fatal: err}
	}
	d.cache[file] = r
	return r
}

// Has reports whether the store holds file (a digest mismatch counts as
// present: the document is there but invalid).
func (d *StoreDocs) Has(file string) (bool, error) {
	r := d.get(file)
	return r.found, r.fatal
}

// Read returns file's verified bytes.
func (d *StoreDocs) Read(file string) ([]byte, error) {
	r := d.get(file)
	switch {
	case r.fatal != nil:
		return nil, r.fatal
	case !r.found:
		return nil, fmt.Errorf("%s: %w", d.Where(file), store.ErrNotFound)
	}
	return r.data, r.err
}

// Where is file's URL.
func (d *StoreDocs) Where(file string) string { return d.url + "/" + file }

// Validated is a document type with a Validate method.
type Validated interface{ Validate() error }

// DecodeDoc reads, decodes (strict wire JSON) and validates the document
// file into v; errors name the document.
func DecodeDoc(docs Docs, file string, v Validated) error {
	data, err := docs.Read(file)
	if err != nil {
		return fmt.Errorf("read %s: %w", docs.Where(file), err)
	}
	if err := wire.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s: %w", docs.Where(file), err)
	}
	if err := v.Validate(); err != nil {
		return fmt.Errorf("%s: %w", docs.Where(file), err)
	}
	return nil
}
