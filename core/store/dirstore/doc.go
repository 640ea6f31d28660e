// Package dirstore is the local-directory backend of core/store.
//
// An object is the file ROOT/KEY. Put writes a temporary file under
// ROOT/.canic-tmp, fsyncs it, records its SHA-256 in the extended attribute
// user.canic.sha256 (when the file system supports user xattrs; otherwise
// Stat and Get hash the file), and publishes it by rename (or by link(2)
// for a conditional create, which fails atomically when the name exists),
// then fsyncs the directory. Conditional publishes are serialized across
// processes by flock(2) on ROOT/.canic-lock, so they are atomic on one host
// (not across hosts sharing a network file system without working flock).
//
// The ETag of an object is its SHA-256: replacing an object with identical
// bytes keeps the ETag, which is harmless for compare-and-swap since the
// state is identical. A key cannot be both an object and the parent of
// another key ("a" and "a/b"), unlike in S3.
package dirstore
