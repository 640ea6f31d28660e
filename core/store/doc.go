// Package store is canic-backup's artifact store layer: a small interface
// (streaming put and get, stat, list, delete, conditional create and
// compare-and-swap by ETag) with two backends, a local directory
// (core/store/dirstore) and S3-compatible object storage
// (core/store/s3store), and a backend-agnostic lease lock built on the
// interface's conditional writes.
//
// Every backend publishes atomically: a reader sees either no object or the
// whole object, never a prefix of it. Put computes the SHA-256 of the stream
// while it is written and records it with the object (ObjectInfo.SHA256);
// Get returns a body that can verify that digest at end of stream
// (VerifyingReader). The behaviour every backend shares is pinned by the
// contract suite in core/store/storetest.
//
// Keys are slash-separated relative names ("backups/2026/manifest.json").
// Names whose first segment starts with ".canic-" are reserved for a
// backend's own bookkeeping (staging uploads, lock files) and are refused.
package store
