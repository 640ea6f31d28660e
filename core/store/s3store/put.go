package s3store

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"

	"github.com/minio/minio-go/v7"

	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/internal/ctxio"
	"github.com/canic-backup/canic-backup/internal/killpoint"
)

// smallObject is the size below which Put sends an object from a small
// buffer of its own, outside the part budget.
const smallObject = 64 << 10

// Put streams r to key; see the package doc for the single-PUT and
// staged multipart paths.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, opts store.PutOptions) (store.ObjectInfo, error) {
	if err := store.ValidateKey(key); err != nil {
		return store.ObjectInfo{}, s.opErr("put", key, err)
	}
	r = ctxio.NewReader(ctx, r)
	// Small documents (lease records, journals) are read into a small
	// buffer and sent without a part token, so a lease renewal never waits
	// behind large uploads.
	small := make([]byte, smallObject)
	n, err := io.ReadFull(r, small)
	if cerr := ctx.Err(); cerr != nil {
		return store.ObjectInfo{}, s.opErr("put", key, cerr)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		info, err := s.putSingle(ctx, key, small[:n], opts)
		if err != nil {
			return store.ObjectInfo{}, s.opErr("put", key, err)
		}
		return info, nil
	}
	if err != nil {
		return store.ObjectInfo{}, s.opErr("put", key, err)
	}
	// Larger: the first part goes into a pooled part buffer under a part
	// token (released by putMultipart, or here).
	if err := s.acquire(ctx); err != nil {
		return store.ObjectInfo{}, s.opErr("put", key, err)
	}
	buf := s.partBuffer()
	copy(*buf, small)
	m, err := io.ReadFull(r, (*buf)[n:])
	first := (*buf)[:n+m]
	if cerr := ctx.Err(); cerr != nil {
		s.release(buf)
		return store.ObjectInfo{}, s.opErr("put", key, cerr)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		info, err := s.putSingle(ctx, key, first, opts)
		s.release(buf)
		if err != nil {
			return store.ObjectInfo{}, s.opErr("put", key, err)
		}
		return info, nil
	}
	if err != nil {
		s.release(buf)
		return store.ObjectInfo{}, s.opErr("put", key, err)
	}
	if opts.IfAbsent {
		// Fail fast before streaming; the publishing copy re-checks atomically.
		if _, err := s.Stat(ctx, key); err == nil {
			s.release(buf)
			return store.ObjectInfo{}, s.opErr("put", key, store.ErrExists)
		}
	}
	info, err := s.putMultipart(ctx, key, first, buf, r, opts)
	if err != nil {
		return store.ObjectInfo{}, s.opErr("put", key, err)
	}
	return info, nil
}

func conditions(opts store.PutOptions) map[string]string {
	h := map[string]string{}
	if opts.IfAbsent {
		h["If-None-Match"] = "*"
	}
	if opts.IfMatch != "" {
		h["If-Match"] = `"` + opts.IfMatch + `"`
	}
	return h
}

func (s *Store) putSingle(ctx context.Context, key string, data []byte, opts store.PutOptions) (store.ObjectInfo, error) {
	sh := sha256.Sum256(data)
	sum := hex.EncodeToString(sh[:])
	if opts.SHA256 != "" && opts.SHA256 != sum {
		return store.ObjectInfo{}, &store.DigestError{Key: key, Want: opts.SHA256, Got: sum}
	}
	md := md5.Sum(data)
	po := minio.PutObjectOptions{
		UserMetadata: map[string]string{MetaSHA256: sum},
		ContentType:  opts.ContentType,
	}
	if opts.IfAbsent {
		po.SetMatchETagExcept("*")
	}
	if opts.IfMatch != "" {
		po.SetMatchETag(opts.IfMatch)
	}
	ui, err := s.core.PutObject(ctx, s.bucket, s.prefix+key, bytes.NewReader(data), int64(len(data)),
		base64.StdEncoding.EncodeToString(md[:]), sum, po)
	if err != nil {
		return store.ObjectInfo{}, mapErr(err, opts)
	}
	return store.ObjectInfo{Key: key, Size: int64(len(data)), ETag: strings.Trim(ui.ETag, `"`), SHA256: sum, Modified: ui.LastModified}, nil
}

// findUpload returns the newest unfinished upload of object and its parts.
func (s *Store) findUpload(ctx context.Context, object string) (string, map[int]minio.ObjectPart, error) {
	var id string
	var newest minio.ObjectMultipartInfo
	keyMarker, idMarker := "", ""
	for {
		res, err := s.core.ListMultipartUploads(ctx, s.bucket, object, keyMarker, idMarker, "", 1000)
		if err != nil {
			return "", nil, fmt.Errorf("list multipart uploads: %w", err)
		}
		for _, u := range res.Uploads {
			if u.Key == object && (id == "" || u.Initiated.After(newest.Initiated)) {
				id, newest = u.UploadID, u
			}
		}
		if !res.IsTruncated {
			break
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
	if id == "" {
		return "", nil, nil
	}
	parts := map[int]minio.ObjectPart{}
	marker := 0
	for {
		res, err := s.core.ListObjectParts(ctx, s.bucket, object, id, marker, 1000)
		if err != nil {
			return "", nil, fmt.Errorf("list parts of upload %s: %w", id, err)
		}
		for _, p := range res.ObjectParts {
			parts[p.PartNumber] = p
		}
		if !res.IsTruncated {
			break
		}
		marker = res.NextPartNumberMarker
	}
	return id, parts, nil
}

// partUploader uploads parts concurrently and remembers the first
// failure. Every part holds one of the Store's part tokens from before its
// buffer is filled until its upload ends, so the Store never buffers more
// than its Concurrency parts (plus one first part per Put).
type partUploader struct {
	s      *Store
	object string
	id     string
	wg     sync.WaitGroup
	mu     sync.Mutex
	done   []minio.CompletePart
	err    error
	cancel context.CancelFunc
}

func (u *partUploader) failed() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.err
}

// acquire takes a part token of the Store, or fails when ctx ends.
func (s *Store) acquire(ctx context.Context) error {
	select {
	case s.parts <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release returns a part token and, when buf is a pooled part buffer, the
// buffer.
func (s *Store) release(buf *[]byte) {
	if buf != nil {
		s.bufs.Put(buf)
	}
	<-s.parts
}

// partBuffer returns a pooled buffer of one part size.
func (s *Store) partBuffer() *[]byte {
	if b, ok := s.bufs.Get().(*[]byte); ok && int64(cap(*b)) == s.partSize {
		*b = (*b)[:s.partSize]
		return b
	}
	b := make([]byte, s.partSize)
	return &b
}

// upload sends one part in the background; the caller holds a part token,
// which the upload releases (with buf, when pooled) when it ends.
func (u *partUploader) upload(ctx context.Context, num int, data []byte, buf *[]byte, md5b64 string) {
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		defer u.s.release(buf)
		p, err := u.s.core.PutObjectPart(ctx, u.s.bucket, u.object, u.id, num, bytes.NewReader(data), int64(len(data)),
			minio.PutObjectPartOptions{Md5Base64: md5b64})
		u.mu.Lock()
		if err != nil {
			if u.err == nil {
				u.err = fmt.Errorf("upload part %d: %w", num, conflict(err))
				u.cancel()
			}
			u.mu.Unlock()
			return
		}
		u.done = append(u.done, minio.CompletePart{PartNumber: num, ETag: p.ETag})
		u.mu.Unlock()
		killpoint.Hit(killpoint.StorePartUploaded)
	}()
}

// putMultipart uploads first (a full part in firstBuf, whose part token the
// caller holds and putMultipart releases) and the rest of r as a staged
// multipart upload, then publishes it under key.
func (s *Store) putMultipart(ctx context.Context, key string, first []byte, firstBuf *[]byte, r io.Reader, opts store.PutOptions) (store.ObjectInfo, error) {
	staging := s.prefix + stagingDir + key
	id, existing, err := s.findUpload(ctx, staging)
	if err != nil {
		s.release(firstBuf)
		return store.ObjectInfo{}, err
	}
	if id == "" {
		if id, err = s.core.NewMultipartUpload(ctx, s.bucket, staging, minio.PutObjectOptions{ContentType: opts.ContentType}); err != nil {
			s.release(firstBuf)
			return store.ObjectInfo{}, fmt.Errorf("start multipart upload: %w", err)
		}
	}
	uctx, cancel := context.WithCancel(ctx)
	defer cancel()
	up := &partUploader{s: s, object: staging, id: id, cancel: cancel}
	h := sha256.New()
	var size int64
	num := 0
	// handle hashes one part and uploads it unless the server already
	// holds it; the caller holds a part token, which handle passes on to
	// the upload or releases.
	handle := func(data []byte, buf *[]byte) {
		num++
		h.Write(data)
		size += int64(len(data))
		md := md5.Sum(data)
		if p, ok := existing[num]; ok && p.Size == int64(len(data)) && strings.Trim(p.ETag, `"`) == hex.EncodeToString(md[:]) {
			up.mu.Lock()
			up.done = append(up.done, minio.CompletePart{PartNumber: num, ETag: p.ETag})
			up.mu.Unlock()
			s.release(buf)
			return
		}
		up.upload(uctx, num, data, buf, base64.StdEncoding.EncodeToString(md[:]))
	}
	handle(first, firstBuf)
	for up.failed() == nil {
		if err := s.acquire(uctx); err != nil {
			break // a failed part cancelled uctx (reported below) or ctx ended
		}
		buf := s.partBuffer()
		n, rerr := io.ReadFull(r, *buf)
		if err := ctx.Err(); err != nil {
			s.release(buf)
			up.wg.Wait()
			return store.ObjectInfo{}, err
		}
		if n > 0 {
			handle((*buf)[:n], buf)
		} else {
			s.release(buf)
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			up.wg.Wait()
			return store.ObjectInfo{}, rerr
		}
	}
	up.wg.Wait()
	if err := ctx.Err(); err != nil {
		return store.ObjectInfo{}, err
	}
	if up.err != nil {
		return store.ObjectInfo{}, up.err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if opts.SHA256 != "" && opts.SHA256 != sum {
		_ = s.core.AbortMultipartUpload(ctx, s.bucket, staging, id)
		return store.ObjectInfo{}, &store.DigestError{Key: key, Want: opts.SHA256, Got: sum}
	}
	sortParts(up.done)
	done, err := s.core.CompleteMultipartUpload(ctx, s.bucket, staging, id, up.done, minio.PutObjectOptions{})
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("complete multipart upload: %w", conflict(err))
	}
	defer s.core.RemoveObject(context.WithoutCancel(ctx), s.bucket, staging, minio.RemoveObjectOptions{})
	info, err := s.publish(ctx, staging, strings.Trim(done.ETag, `"`), key, size, sum, opts)
	if err != nil && errors.Is(err, errSourceChanged) {
		return store.ObjectInfo{}, s.publishFailed(ctx, key, opts, err)
	}
	return info, err
}

// errSourceChanged marks a publishing copy that failed a precondition or
// found no staging object: either the destination's precondition or a
// concurrent writer replaced or removed the staging object.
var errSourceChanged = errors.New("staging object changed")

// conflict maps the errors a concurrent writer of the same staging upload
// causes to store.ErrConflict.
func conflict(err error) error {
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchUpload", "InvalidPart", "InvalidPartOrder":
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	}
	return err
}

// publishFailed tells a destination precondition failure from a staging
// object replaced by a concurrent writer: S3 answers 412 for both.
func (s *Store) publishFailed(ctx context.Context, key string, opts store.PutOptions, cause error) error {
	cur, err := s.Stat(ctx, key)
	switch {
	case opts.IfAbsent && err == nil:
		return store.ErrExists
	case opts.IfMatch != "" && err == nil && cur.ETag != opts.IfMatch:
		return fmt.Errorf("%w: ETag is %s, expected %s", store.ErrPreconditionFailed, cur.ETag, opts.IfMatch)
	case opts.IfMatch != "" && errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w: no object, expected ETag %s", store.ErrPreconditionFailed, opts.IfMatch)
	}
	return fmt.Errorf("%w: %v", store.ErrConflict, cause)
}

// copyFailed classifies a failed publishing copy.
func copyFailed(err error) error {
	resp := minio.ToErrorResponse(err)
	if resp.StatusCode == http.StatusPreconditionFailed || resp.StatusCode == http.StatusNotFound ||
		resp.StatusCode == http.StatusConflict {
		return fmt.Errorf("%w: %s %s", errSourceChanged, resp.Code, resp.Message)
	}
	return conflict(err)
}

// MaxCopySize is S3's limit for a single-request copy; larger objects are
// published by a multipart copy (UploadPartCopy) of parts of this size.
const MaxCopySize = 5 << 30

// publish copies the completed staging object to key, replacing its
// metadata with the digest, under the precondition. Up to copyLimit bytes
// this is one CopyObject; beyond, a multipart upload to key initiated with
// the metadata, filled by UploadPartCopy and completed with the
// precondition. Either becomes visible atomically.
func (s *Store) publish(ctx context.Context, staging, stagingETag, key string, size int64, sum string, opts store.PutOptions) (store.ObjectInfo, error) {
	final := s.prefix + key
	// The copy takes the staging object only while it is the one this Put
	// completed, so the digest in the metadata is always that of the bytes.
	srcIf := map[string]string{"x-amz-copy-source-if-match": `"` + stagingETag + `"`}
	if size <= s.copyLimit {
		meta := conditions(opts)
		maps.Copy(meta, srcIf)
		meta["x-amz-metadata-directive"] = "REPLACE"
		meta["x-amz-meta-"+MetaSHA256] = sum
		if opts.ContentType != "" {
			meta["Content-Type"] = opts.ContentType
		}
		oi, err := s.core.CopyObject(ctx, s.bucket, staging, s.bucket, final, meta, minio.CopySrcOptions{}, minio.PutObjectOptions{})
		if err != nil {
			return store.ObjectInfo{}, copyFailed(err)
		}
		return store.ObjectInfo{Key: key, Size: size, ETag: strings.Trim(oi.ETag, `"`), SHA256: sum, Modified: oi.LastModified}, nil
	}
	id, err := s.core.NewMultipartUpload(ctx, s.bucket, final, minio.PutObjectOptions{
		UserMetadata: map[string]string{MetaSHA256: sum},
		ContentType:  opts.ContentType,
	})
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("start multipart copy: %w", err)
	}
	abort := func() { _ = s.core.AbortMultipartUpload(context.WithoutCancel(ctx), s.bucket, final, id) }
	var parts []minio.CompletePart
	for off, num := int64(0), 1; off < size; off, num = off+s.copyLimit, num+1 {
		n := min(s.copyLimit, size-off)
		p, err := s.core.CopyObjectPart(ctx, s.bucket, staging, s.bucket, final, id, num, off, n, srcIf)
		if err != nil {
			abort()
			return store.ObjectInfo{}, fmt.Errorf("copy part %d: %w", num, copyFailed(err))
		}
		parts = append(parts, p)
	}
	var po minio.PutObjectOptions
	if opts.IfAbsent {
		po.SetMatchETagExcept("*")
	}
	if opts.IfMatch != "" {
		po.SetMatchETag(opts.IfMatch)
	}
	ui, err := s.core.CompleteMultipartUpload(ctx, s.bucket, final, id, parts, po)
	if err != nil {
		abort()
		return store.ObjectInfo{}, copyFailed(err)
	}
	return store.ObjectInfo{Key: key, Size: size, ETag: strings.Trim(ui.ETag, `"`), SHA256: sum, Modified: ui.LastModified}, nil
}

func sortParts(p []minio.CompletePart) {
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j].PartNumber < p[j-1].PartNumber; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}
