package s3store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/canic-backup/canic-backup/core/store"
)

// MetaSHA256 is the user-metadata name carrying an object's SHA-256.
const MetaSHA256 = "canic-sha256"

const stagingDir = store.ReservedPrefix + "incoming/"

// Options tune an S3 store beyond its Settings.
type Options struct {
	// Transport carries the HTTP requests (default: minio-go's).
	Transport http.RoundTripper
	// Credentials overrides the environment/credentials-file chain.
	Credentials *credentials.Credentials
	// Concurrency is the number of parts buffered and uploaded at once
	// by the whole Store, across concurrent Puts (default 4); it bounds the
	// memory of multipart uploads to about (Concurrency + concurrent Puts)
	// × part size.
	Concurrency int
}

// Store is an S3-backed store.Store.
type Store struct {
	core     *minio.Core
	bucket   string
	prefix   string
	partSize int64
	conc     int
	desc     string
	// parts holds one token per part being read or uploaded by any Put
	// of this Store; bufs recycles the part buffers.
	parts chan struct{}
	bufs  sync.Pool
	// copyLimit is the largest object published by one CopyObject.
	copyLimit int64
}

var _ store.Store = (*Store)(nil)

// Open validates settings (a "s3" store called name) and connects. It
// checks that the bucket exists and names it when it does not.
func Open(ctx context.Context, name string, s store.Settings, o Options) (*Store, error) {
	if err := s.Validate(name); err != nil {
		return nil, err
	}
	if s.Kind != store.KindS3 {
		return nil, &store.SettingsError{Store: name, Field: "kind", Value: string(s.Kind), Reason: `s3store needs kind "s3"`}
	}
	u, _ := url.Parse(s.Endpoint) // validated above
	creds := o.Credentials
	if creds == nil {
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{},
			&credentials.FileAWSCredentials{Profile: s.Profile},
		})
	}
	lookup := minio.BucketLookupAuto
	if s.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:        creds,
		Secure:       u.Scheme == "https",
		Region:       s.Region,
		BucketLookup: lookup,
		Transport:    o.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("store %s (%s): %w", name, s.Describe(), err)
	}
	st := &Store{
		core:     &minio.Core{Client: client},
		bucket:   s.Bucket,
		prefix:   s.Prefix,
		partSize: s.PartSize(),
		conc:     o.Concurrency,
		desc:     s.Describe(),

		copyLimit: MaxCopySize,
	}
	if st.conc <= 0 {
		st.conc = 4
	}
	st.parts = make(chan struct{}, st.conc)
	ok, err := client.BucketExists(ctx, s.Bucket)
	if err != nil {
		return nil, fmt.Errorf("store %s (%s): %w", name, st.desc, err)
	}
	if !ok {
		return nil, fmt.Errorf("store %s (%s): bucket %q does not exist: %w", name, st.desc, s.Bucket, store.ErrNotFound)
	}
	return st, nil
}

// String returns "s3://bucket/prefix".
func (s *Store) String() string { return s.desc }

func (s *Store) opErr(op, key string, err error) error {
	return &store.OpError{Store: s.desc, Op: op, Key: key, Err: err}
}

// mapErr turns an S3 error response into the store's sentinels, keeping
// the server's message.
func mapErr(err error, po store.PutOptions) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	resp := minio.ToErrorResponse(err)
	var sentinel error
	switch {
	case resp.StatusCode == http.StatusPreconditionFailed || resp.Code == "PreconditionFailed",
		resp.StatusCode == http.StatusConflict && resp.Code == "ConditionalRequestConflict":
		sentinel = store.ErrPreconditionFailed
		if po.IfAbsent {
			sentinel = store.ErrExists
		}
	case resp.Code == "NoSuchKey" || resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket" && resp.Code != "NoSuchUpload":
		sentinel = store.ErrNotFound
		if po.IfMatch != "" {
			sentinel = store.ErrPreconditionFailed
		}
	default:
		return err
	}
	return fmt.Errorf("%w (%s %s)", sentinel, resp.Code, resp.Message)
}

func (s *Store) info(key string, oi minio.ObjectInfo) store.ObjectInfo {
	return store.ObjectInfo{
		Key:      key,
		Size:     oi.Size,
		ETag:     strings.Trim(oi.ETag, `"`),
		SHA256:   oi.Metadata.Get("X-Amz-Meta-" + MetaSHA256),
		Modified: oi.LastModified,
	}
}

// Get opens key.
func (s *Store) Get(ctx context.Context, key string) (*store.Object, error) {
	if err := store.ValidateKey(key); err != nil {
		return nil, s.opErr("get", key, err)
	}
	body, oi, _, err := s.core.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.opErr("get", key, mapErr(err, store.PutOptions{}))
	}
	return &store.Object{Info: s.info(key, oi), Body: body}, nil
}

// Stat returns key's info.
func (s *Store) Stat(ctx context.Context, key string) (store.ObjectInfo, error) {
	if err := store.ValidateKey(key); err != nil {
		return store.ObjectInfo{}, s.opErr("stat", key, err)
	}
	oi, err := s.core.StatObject(ctx, s.bucket, s.prefix+key, minio.StatObjectOptions{})
	if err != nil {
		return store.ObjectInfo{}, s.opErr("stat", key, mapErr(err, store.PutOptions{}))
	}
	return s.info(key, oi), nil
}

// List lists keys starting with prefix; SHA256 is left empty (S3 listings
// carry no metadata; Stat fills it).
func (s *Store) List(ctx context.Context, prefix string) ([]store.ObjectInfo, error) {
	out := []store.ObjectInfo{}
	for oi := range s.core.Client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
		if oi.Err != nil {
			return nil, s.opErr("list", prefix, mapErr(oi.Err, store.PutOptions{}))
		}
		key := strings.TrimPrefix(oi.Key, s.prefix)
		if strings.HasPrefix(key, store.ReservedPrefix) || strings.HasSuffix(key, "/") {
			continue
		}
		out = append(out, s.info(key, oi))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete removes key.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := store.ValidateKey(key); err != nil {
		return s.opErr("delete", key, err)
	}
	if err := s.core.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{}); err != nil {
		if errors.Is(mapErr(err, store.PutOptions{}), store.ErrNotFound) {
			return nil
		}
		return s.opErr("delete", key, err)
	}
	return nil
}

// AbortStale aborts the store's multipart uploads (interrupted staging
// uploads and publishing copies) started before olderThan and removes the
// finished staging objects last written before it, returning how many
// uploads and objects it removed. Do not run it while a Put may still be
// going on.
func (s *Store) AbortStale(ctx context.Context, olderThan time.Time) (int, error) {
	return s.AbortStaleExcept(ctx, olderThan, nil)
}

// AbortStaleExcept is AbortStale sparing the uploads and staging objects
// for which keep, given the store key they are for (a staging upload's
// final key), returns true: the keys of a run that may still be going on.
//
// A staging object is left behind when a Put is killed after completing
// its multipart upload and publishing the copy but before deleting the
// staging object; a resumed publish then finds the object published and
// never looks at the staging key again, so only this sweep removes it.
func (s *Store) AbortStaleExcept(ctx context.Context, olderThan time.Time, keep func(key string) bool) (int, error) {
	spared := func(full string) bool {
		key := strings.TrimPrefix(strings.TrimPrefix(full, s.prefix), stagingDir)
		return keep != nil && keep(key)
	}
	n := 0
	for u := range s.core.Client.ListIncompleteUploads(ctx, s.bucket, s.prefix, true) {
		if u.Err != nil {
			return n, mapErr(u.Err, store.PutOptions{})
		}
		if !u.Initiated.Before(olderThan) || spared(u.Key) {
			continue
		}
		if err := s.core.AbortMultipartUpload(ctx, s.bucket, u.Key, u.UploadID); err != nil {
			return n, err
		}
		n++
	}
	for oi := range s.core.Client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + stagingDir, Recursive: true}) {
		if oi.Err != nil {
			return n, mapErr(oi.Err, store.PutOptions{})
		}
		if !oi.LastModified.Before(olderThan) || spared(oi.Key) {
			continue
		}
		if err := s.core.RemoveObject(ctx, s.bucket, oi.Key, minio.RemoveObjectOptions{}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
