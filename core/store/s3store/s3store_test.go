package s3store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/store/s3store"
	"github.com/canic-backup/canic-backup/core/store/storetest"
)

const bucket = "canic-test"

var prefixSeq atomic.Int64

func settings(prefix string) store.Settings {
	return store.Settings{Kind: store.KindS3, Endpoint: server.Endpoint, Bucket: bucket, Prefix: prefix,
		Region: "us-east-1", PathStyle: true, PartSizeMiB: 5}
}

func creds() *credentials.Credentials {
	return credentials.NewStaticV4(server.AccessKey, server.SecretKey, "")
}

// freshPrefix returns a prefix no other test uses.
func freshPrefix(t testing.TB) string {
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	return fmt.Sprintf("t%d-%s/", prefixSeq.Add(1), strings.ToLower(name))
}

func open(t testing.TB, o s3store.Options) *s3store.Store {
	t.Helper()
	if o.Credentials == nil {
		o.Credentials = creds()
	}
	s, err := s3store.Open(context.Background(), "test", settings(freshPrefix(t)), o)
	require.NoError(t, err)
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, s3store.Options{}) },
		storetest.Options{LargeSize: 12 << 20})
}

// countingTransport counts part uploads (PUT with partNumber) and other
// requests.
type countingTransport struct {
	next  http.RoundTripper
	parts atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut && r.URL.Query().Get("partNumber") != "" {
		resp, err := c.next.RoundTrip(r)
		if err == nil && resp.StatusCode == http.StatusOK {
			c.parts.Add(1)
		}
		return resp, err
	}
	return c.next.RoundTrip(r)
}

func newCounting() *countingTransport {
	return &countingTransport{next: http.DefaultTransport.(*http.Transport).Clone()}
}

func randomData(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/4099)
	}
	return b
}

type cancelAfter struct {
	r      io.Reader
	n, at  int
	cancel context.CancelFunc
	// wait, when set, is polled before cancelling (to let in-flight part
	// uploads finish, making the count of finished parts deterministic).
	wait func() bool
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n >= c.at {
		for deadline := time.Now().Add(30 * time.Second); c.wait != nil && !c.wait() && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		c.cancel()
		return 0, context.Canceled
	}
	if len(p) > c.at-c.n {
		p = p[:c.at-c.n]
	}
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// A multipart upload cancelled half-way resumes from the server's part
// list: the second Put uploads only the parts the first did not finish.
func TestResumeAfterCancel(t *testing.T) {
	const part = 5 << 20
	data := randomData(5*part + 123_456) // 6 parts
	tr := newCounting()
	prefix := freshPrefix(t)
	s, err := s3store.Open(context.Background(), "test", settings(prefix), s3store.Options{Credentials: creds(), Transport: tr, Concurrency: 1})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	_, err = s.Put(ctx, "big.bin", &cancelAfter{r: bytes.NewReader(data), at: 3*part + 1000, cancel: cancel,
		wait: func() bool { return tr.parts.Load() >= 3 }}, store.PutOptions{})
	require.ErrorIs(t, err, context.Canceled)
	first := tr.parts.Load()
	require.Equal(t, int64(3), first, "parts finished before the cancel")
	_, err = s.Stat(context.Background(), "big.bin")
	require.ErrorIs(t, err, store.ErrNotFound, "nothing is published by an interrupted upload")

	// The server keeps the upload and its finished parts.
	c, err := server.Client()
	require.NoError(t, err)
	var uploads []minio.ObjectMultipartInfo
	for u := range c.ListIncompleteUploads(context.Background(), bucket, prefix, true) {
		require.NoError(t, u.Err)
		uploads = append(uploads, u)
	}
	require.Len(t, uploads, 1)
	assert.Equal(t, prefix+".canic-incoming/big.bin", uploads[0].Key)

	tr.parts.Store(0)
	info, err := s.Put(context.Background(), "big.bin", bytes.NewReader(data), store.PutOptions{})
	require.NoError(t, err)
	assert.Equal(t, 6-first, tr.parts.Load(), "finished parts were uploaded again")
	h := sha256.Sum256(data)
	assert.Equal(t, hex.EncodeToString(h[:]), info.SHA256)
	v, err := store.Verify(context.Background(), s, "big.bin")
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), v.Size)
	for u := range c.ListIncompleteUploads(context.Background(), bucket, prefix, true) {
		t.Errorf("upload left behind: %+v", u)
	}
	objs, err := s.List(context.Background(), "")
	require.NoError(t, err)
	require.Len(t, objs, 1, "the staging object was not removed")
}

// A resumed upload whose source changed re-uploads the parts that differ.
func TestResumeWithChangedSource(t *testing.T) {
	const part = 5 << 20
	data := randomData(3*part + 10)
	tr := newCounting()
	s, err := s3store.Open(context.Background(), "test", settings(freshPrefix(t)), s3store.Options{Credentials: creds(), Transport: tr, Concurrency: 1})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	_, err = s.Put(ctx, "f", &cancelAfter{r: bytes.NewReader(data), at: 2*part + 1, cancel: cancel,
		wait: func() bool { return tr.parts.Load() >= 2 }}, store.PutOptions{})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, int64(2), tr.parts.Load())
	changed := bytes.Clone(data)
	changed[part+5] ^= 0xff // second part differs
	tr.parts.Store(0)
	info, err := s.Put(context.Background(), "f", bytes.NewReader(changed), store.PutOptions{})
	require.NoError(t, err)
	assert.Equal(t, int64(3), tr.parts.Load(), "parts 2, 3 and 4 uploaded; part 1 reused")
	h := sha256.Sum256(changed)
	assert.Equal(t, hex.EncodeToString(h[:]), info.SHA256)
	_, err = store.Verify(context.Background(), s, "f")
	require.NoError(t, err)
}

func TestCredentialsFromEnvironment(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", server.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", server.SecretKey)
	s, err := s3store.Open(context.Background(), "env", settings(freshPrefix(t)), s3store.Options{})
	require.NoError(t, err)
	_, err = s.Put(context.Background(), "k", strings.NewReader("v"), store.PutOptions{})
	require.NoError(t, err)
}

func TestCredentialsFromProfileFile(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	file := filepath.Join(t.TempDir(), "credentials")
	require.NoError(t, os.WriteFile(file, []byte(fmt.Sprintf("[default]\naws_access_key_id = wrong\naws_secret_access_key = wrong\n\n[backup]\naws_access_key_id = %s\naws_secret_access_key = %s\n", server.AccessKey, server.SecretKey)), 0o600))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", file)
	st := settings(freshPrefix(t))
	st.Profile = "backup"
	s, err := s3store.Open(context.Background(), "file", st, s3store.Options{})
	require.NoError(t, err)
	_, err = s.Put(context.Background(), "k", strings.NewReader("v"), store.PutOptions{})
	require.NoError(t, err)
}

func TestWrongCredentialsRefusedWithoutSecret(t *testing.T) {
	_, err := s3store.Open(context.Background(), "bad", settings(freshPrefix(t)),
		s3store.Options{Credentials: credentials.NewStaticV4(server.AccessKey, "not-the-secret-xyz", "")})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "not-the-secret-xyz")
	assert.NotContains(t, err.Error(), server.SecretKey)
	assert.Contains(t, err.Error(), "store bad (s3://canic-test/")
}

func TestMissingBucketNamed(t *testing.T) {
	st := settings("")
	st.Bucket = "no-such-bucket"
	_, err := s3store.Open(context.Background(), "x", st, s3store.Options{Credentials: creds()})
	require.ErrorIs(t, err, store.ErrNotFound)
	assert.Contains(t, err.Error(), `bucket "no-such-bucket" does not exist`)
}

func TestInvalidSettingsRefused(t *testing.T) {
	st := settings("")
	st.Endpoint = "ftp://x"
	_, err := s3store.Open(context.Background(), "x", st, s3store.Options{})
	require.ErrorIs(t, err, store.ErrInvalidSettings)
}

func TestAbortStale(t *testing.T) {
	tr := newCounting()
	s, err := s3store.Open(context.Background(), "test", settings(freshPrefix(t)), s3store.Options{Credentials: creds(), Transport: tr, Concurrency: 1})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	_, err = s.Put(ctx, "f", &cancelAfter{r: bytes.NewReader(randomData(11 << 20)), at: 6 << 20, cancel: cancel}, store.PutOptions{})
	require.ErrorIs(t, err, context.Canceled)
	n, err := s.AbortStale(context.Background(), timeNow().Add(1e9))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, 1)
}

func BenchmarkPutGet256MiB(b *testing.B) {
	st := settings(freshPrefix(b))
	st.PartSizeMiB = 16
	s, err := s3store.Open(context.Background(), "bench", st, s3store.Options{Credentials: creds()})
	require.NoError(b, err)
	storetest.BenchPutGet(b, s, 256<<20)
}

// Objects beyond the single-copy limit are published by a multipart copy
// that keeps the digest metadata and the precondition.
func TestPublishByMultipartCopy(t *testing.T) {
	ctx := context.Background()
	s := open(t, s3store.Options{})
	s3store.SetCopyLimit(s, 6<<20)
	data := randomData(14 << 20)
	info, err := s.Put(ctx, "huge.bin", bytes.NewReader(data), store.PutOptions{IfAbsent: true})
	require.NoError(t, err)
	h := sha256.Sum256(data)
	assert.Equal(t, hex.EncodeToString(h[:]), info.SHA256)
	st, err := s.Stat(ctx, "huge.bin")
	require.NoError(t, err)
	assert.Equal(t, hex.EncodeToString(h[:]), st.SHA256, "metadata survives the multipart copy")
	assert.Equal(t, int64(len(data)), st.Size)
	_, err = store.Verify(ctx, s, "huge.bin")
	require.NoError(t, err)
	_, err = s.Put(ctx, "huge.bin", bytes.NewReader(data), store.PutOptions{IfAbsent: true})
	require.ErrorIs(t, err, store.ErrExists)
	_, err = s.Put(ctx, "huge.bin", bytes.NewReader(data[:13<<20]), store.PutOptions{IfMatch: "stale"})
	require.ErrorIs(t, err, store.ErrPreconditionFailed)
	info2, err := s.Put(ctx, "huge.bin", bytes.NewReader(data[:13<<20]), store.PutOptions{IfMatch: st.ETag})
	require.NoError(t, err)
	assert.Equal(t, int64(13<<20), info2.Size)
	objs, err := s.List(ctx, "")
	require.NoError(t, err)
	require.Len(t, objs, 1)
}

// The publish step relies on the server honouring a copy's source
// precondition; pin that against the real server.
func TestServerHonoursCopySourceIfMatch(t *testing.T) {
	ctx := context.Background()
	c, err := server.Client()
	require.NoError(t, err)
	core := minio.Core{Client: c}
	p := freshPrefix(t)
	ui, err := c.PutObject(ctx, bucket, p+"src", strings.NewReader("abc"), 3, minio.PutObjectOptions{})
	require.NoError(t, err)
	_, err = core.CopyObject(ctx, bucket, p+"src", bucket, p+"dst", map[string]string{"x-amz-copy-source-if-match": `"0123456789abcdef0123456789abcdef"`}, minio.CopySrcOptions{}, minio.PutObjectOptions{})
	require.Error(t, err)
	assert.Equal(t, http.StatusPreconditionFailed, minio.ToErrorResponse(err).StatusCode)
	_, err = core.CopyObject(ctx, bucket, p+"src", bucket, p+"dst", map[string]string{"x-amz-copy-source-if-match": `"` + ui.ETag + `"`}, minio.CopySrcOptions{}, minio.PutObjectOptions{})
	require.NoError(t, err)
}

// TestAbortStaleSweepsLeftoverStagingObjects: a staging object left by a
// Put killed between its publishing copy and the staging delete (written
// here directly) is removed by AbortStale once older than the cutoff, not
// before, and not when keep spares its key; published objects stay.
func TestAbortStaleSweepsLeftoverStagingObjects(t *testing.T) {
	ctx := context.Background()
	c, err := server.Client()
	require.NoError(t, err)
	p := freshPrefix(t)
	s, err := s3store.Open(ctx, "test", settings(p), s3store.Options{Credentials: creds()})
	require.NoError(t, err)
	_, err = s.Put(ctx, "b1/art/f", strings.NewReader("published"), store.PutOptions{})
	require.NoError(t, err)
	for _, k := range []string{"b1/art/f", "b2/art/g"} {
		_, err = c.PutObject(ctx, bucket, p+".canic-incoming/"+k, strings.NewReader("left"), 4, minio.PutObjectOptions{})
		require.NoError(t, err)
	}
	staging := func() []string {
		var out []string
		for oi := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: p + ".canic-incoming/", Recursive: true}) {
			require.NoError(t, oi.Err)
			out = append(out, strings.TrimPrefix(oi.Key, p+".canic-incoming/"))
		}
		return out
	}
	n, err := s.AbortStale(ctx, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	assert.Zero(t, n, "nothing is older than an hour")
	assert.Len(t, staging(), 2)

	n, err = s.AbortStaleExcept(ctx, time.Now().Add(time.Minute), func(key string) bool { return strings.HasPrefix(key, "b2/") })
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, []string{"b2/art/g"}, staging(), "the spared run's staging object stays")
	_, err = store.Verify(ctx, s, "b1/art/f")
	require.NoError(t, err, "the published object is untouched")
}
