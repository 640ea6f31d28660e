// Package s3store is the S3-compatible backend of core/store, on the
// minio-go client (tested against SeaweedFS's S3 gateway).
//
// Objects live at PREFIX+KEY in the bucket. Each carries its SHA-256 as the
// user metadata x-amz-meta-canic-sha256.
//
// A stream shorter than one part is buffered, hashed and sent as one PUT
// with the digest in its metadata; S3 publishes a PUT atomically.
//
// A longer stream is a multipart upload to the staging key
// PREFIX+".canic-incoming/"+KEY, hashed while it streams. When the stream
// ends the digest is known, the upload is completed (still under the staging
// key, which List never shows) and published by a server-side copy to the
// final key that replaces the metadata with the digest, carrying the
// caller's precondition and x-amz-copy-source-if-match with the ETag this
// Put completed, so the published bytes are always the ones hashed; then the
// staging object is deleted. Objects beyond S3's 5 GiB single-copy limit
// are published by a multipart copy (UploadPartCopy) initiated with the
// metadata and completed with the precondition. Either way the final key
// changes atomically, so a reader never sees a partial object.
//
// Concurrent Puts of one key share the staging key; they never publish
// mixed or mislabelled bytes, but the losers may fail with
// store.ErrConflict. Callers serialize writers of a key (the run lock).
//
// Resume: a multipart upload that was interrupted (context cancelled, the
// process killed) is left on the server. The next Put of the same key finds
// it with ListMultipartUploads, lists its finished parts with ListParts, and
// for every part re-reads (and hashes) the source but skips the upload when
// the server's part has the same size and an ETag equal to the part's MD5.
// No local state file is needed. AbortStale removes abandoned uploads.
//
// Preconditions: conditional create is If-None-Match: * and compare-and-swap
// is If-Match: "etag", both on the final PUT or on the publishing copy;
// the server evaluates them atomically (SeaweedFS holds a per-object write
// lock). 412 PreconditionFailed and 409 ConditionalRequestConflict map to
// store.ErrExists / store.ErrPreconditionFailed.
package s3store
