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
	"strings"
	"sync"

	"github.com/minio/minio-go/v7"

	"github.com/canic-backup/canic-backup/core/store"
)

// Put streams r to key; see the package doc for the single-PUT and
// staged multipart paths.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, opts store.PutOptions) (store.ObjectInfo, error) {
	if err := store.ValidateKey(key); err != nil {
		return store.ObjectInfo{}, s.opErr("put", key, err)
	}
	first := make([]byte, s.partSize)
	n, err := io.ReadFull(r, first)
	if err := ctx.Err(); err != nil {
		return store.ObjectInfo{}, s.opErr("put", key, err)
	}
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		info, err := s.putSingle(ctx, key, first[:n], opts)
		if err != nil {
			return store.ObjectInfo{}, s.opErr("put", key, err)
		}
		return info, nil
	case err != nil:
		return store.ObjectInfo{}, s.opErr("put", key, err)
	}
	if opts.IfAbsent {
		// Fail fast before streaming; the publishing copy re-checks atomically.
		if _, err := s.Stat(ctx, key); err == nil {
			return store.ObjectInfo{}, s.opErr("put", key, store.ErrExists)
		}
	}
	info, err := s.putMultipart(ctx, key, first, r, opts)
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

// partUploader uploads parts with bounded concurrency and remembers the
// first failure.
type partUploader struct {
	s      *Store
	object string
	id     string
	sem    chan struct{}
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

func (u *partUploader) upload(ctx context.Context, num int, data []byte, md5b64 string) {
	u.sem <- struct{}{}
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		defer func() { <-u.sem }()
		p, err := u.s.core.PutObjectPart(ctx, u.s.bucket, u.object, u.id, num, bytes.NewReader(data), int64(len(data)),
			minio.PutObjectPartOptions{Md5Base64: md5b64})
		u.mu.Lock()
		defer u.mu.Unlock()
		if err != nil {
			if u.err == nil {
				u.err = fmt.Errorf("upload part %d: %w", num, err)
				u.cancel()
			}
			return
		}
		u.done = append(u.done, minio.CompletePart{PartNumber: num, ETag: p.ETag})
	}()
}

func (s *Store) putMultipart(ctx context.Context, key string, first []byte, r io.Reader, opts store.PutOptions) (store.ObjectInfo, error) {
	staging := s.prefix + stagingDir + key
	id, existing, err := s.findUpload(ctx, staging)
	if err != nil {
		return store.ObjectInfo{}, err
	}
	if id == "" {
		if id, err = s.core.NewMultipartUpload(ctx, s.bucket, staging, minio.PutObjectOptions{ContentType: opts.ContentType}); err != nil {
			return store.ObjectInfo{}, fmt.Errorf("start multipart upload: %w", err)
		}
	}
	uctx, cancel := context.WithCancel(ctx)
	defer cancel()
	up := &partUploader{s: s, object: staging, id: id, sem: make(chan struct{}, s.conc), cancel: cancel}
	h := sha256.New()
	var size int64
	num := 0
	handle := func(buf []byte) {
		num++
		h.Write(buf)
		size += int64(len(buf))
		md := md5.Sum(buf)
		if p, ok := existing[num]; ok && p.Size == int64(len(buf)) && strings.Trim(p.ETag, `"`) == hex.EncodeToString(md[:]) {
			up.mu.Lock()
			up.done = append(up.done, minio.CompletePart{PartNumber: num, ETag: p.ETag})
			up.mu.Unlock()
			return
		}
		up.upload(uctx, num, buf, base64.StdEncoding.EncodeToString(md[:]))
	}
	handle(first)
	for up.failed() == nil {
		next := make([]byte, s.partSize)
		n, rerr := io.ReadFull(r, next)
		if err := ctx.Err(); err != nil {
			up.wg.Wait()
			return store.ObjectInfo{}, err
		}
		if n > 0 {
			handle(next[:n])
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
	if _, err := s.core.CompleteMultipartUpload(ctx, s.bucket, staging, id, up.done, minio.PutObjectOptions{}); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("complete multipart upload: %w", err)
	}
	defer s.core.RemoveObject(context.WithoutCancel(ctx), s.bucket, staging, minio.RemoveObjectOptions{})
	meta := conditions(opts)
	meta["x-amz-metadata-directive"] = "REPLACE"
	meta["x-amz-meta-"+MetaSHA256] = sum
	if opts.ContentType != "" {
		meta["Content-Type"] = opts.ContentType
	}
	oi, err := s.core.CopyObject(ctx, s.bucket, staging, s.bucket, s.prefix+key, meta, minio.CopySrcOptions{}, minio.PutObjectOptions{})
	if err != nil {
		return store.ObjectInfo{}, mapErr(err, opts)
	}
	return store.ObjectInfo{Key: key, Size: size, ETag: strings.Trim(oi.ETag, `"`), SHA256: sum, Modified: oi.LastModified}, nil
}

func sortParts(p []minio.CompletePart) {
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j].PartNumber < p[j-1].PartNumber; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}
