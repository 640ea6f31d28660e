package store

import (
	"context"
	"io"
	"time"
)

// Store is an artifact store: a flat namespace of keys mapping to immutable
// byte streams that can be replaced only through Put.
type Store interface {
	// Put streams r to key and publishes it atomically. It returns the
	// published object's info, with SHA256 computed from the stream.
	// With opts.IfAbsent an existing key yields an error matching
	// ErrExists; with opts.IfMatch a key whose ETag differs (or that is
	// missing) yields ErrPreconditionFailed; with opts.SHA256 a stream of
	// another digest yields ErrDigestMismatch. On any error nothing is
	// published.
	Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (ObjectInfo, error)
	// Get opens key for streaming. A missing key yields ErrNotFound. The
	// caller closes the returned Object.
	Get(ctx context.Context, key string) (*Object, error)
	// Stat returns key's info without its content; ErrNotFound when
	// missing.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// List returns the objects whose keys start with prefix (a plain
	// string prefix, "" for all), sorted by key. Reserved keys are never
	// listed.
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// Delete removes key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// String names the store for messages ("dir:/path", "s3://bucket/prefix").
	String() string
}

// PutOptions are Put's preconditions and expectations.
type PutOptions struct {
	// IfAbsent publishes only when key does not exist yet (conditional
	// create, If-None-Match: *).
	IfAbsent bool
	// IfMatch, when non-empty, publishes only when key exists with this
	// ETag (compare-and-swap, If-Match).
	IfMatch string
	// SHA256, when non-empty, is the lowercase hex digest the stream must
	// have; a mismatch publishes nothing.
	SHA256 string
	// ContentType is recorded where the backend supports it.
	ContentType string
}

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	// Key is the object's key.
	Key string
	// Size is its length in bytes.
	Size int64
	// ETag changes whenever the object is replaced; it is the token for
	// PutOptions.IfMatch. Its form is backend-specific.
	ETag string
	// SHA256 is the lowercase hex digest recorded at Put ("" when the
	// object was written by something else and carries none; List may
	// leave it empty, Stat and Get fill it).
	SHA256 string
	// Modified is when the object was last written.
	Modified time.Time
}

// Object is an open object: its info and a stream of its content.
type Object struct {
	// Info describes the object.
	Info ObjectInfo
	// Body streams the content; close it when done.
	Body io.ReadCloser
}

// Read reads from Body.
func (o *Object) Read(p []byte) (int, error) { return o.Body.Read(p) }

// Close closes Body.
func (o *Object) Close() error { return o.Body.Close() }
