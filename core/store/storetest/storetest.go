package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/store"
)

// Options tune the suite for a backend.
type Options struct {
	// LargeSize is the size of the "large" stream, chosen to exceed the
	// backend's multipart threshold (default 12 MiB).
	LargeSize int
}

// Run runs the contract suite; open returns a fresh, empty store.
func Run(t *testing.T, open func(t *testing.T) store.Store, opts Options) {
	if opts.LargeSize == 0 {
		opts.LargeSize = 12 << 20
	}
	c := contract{open: open, opts: opts}
	t.Run("RoundTrip", c.roundTrip)
	t.Run("EmptyObject", c.emptyObject)
	t.Run("LargeStream", c.largeStream)
	t.Run("Missing", c.missing)
	t.Run("Overwrite", c.overwrite)
	t.Run("IfAbsent", c.ifAbsent)
	t.Run("IfAbsentRace", c.ifAbsentRace)
	t.Run("IfMatch", c.ifMatch)
	t.Run("IfMatchRace", c.ifMatchRace)
	t.Run("DigestMismatchPublishesNothing", c.digestMismatch)
	t.Run("FailedStreamPublishesNothing", c.failedStream)
	t.Run("CanceledPublishesNothing", c.canceled)
	t.Run("List", c.list)
	t.Run("Delete", c.delete)
	t.Run("InvalidKeys", c.invalidKeys)
	t.Run("VerifyDetectsNothingWrong", c.verify)
	t.Run("Lease", c.lease)
	t.Run("LeaseRace", c.leaseRace)
}

type contract struct {
	open func(t *testing.T) store.Store
	opts Options
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n - n%8; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func readAll(t *testing.T, s store.Store, key string) ([]byte, store.ObjectInfo) {
	t.Helper()
	obj, err := s.Get(context.Background(), key)
	require.NoError(t, err)
	defer obj.Close()
	b, err := io.ReadAll(obj)
	require.NoError(t, err)
	return b, obj.Info
}

func (c contract) roundTrip(t *testing.T) {
	s, ctx := c.open(t), context.Background()
	data := randomBytes(100_000, 1)
	info, err := s.Put(ctx, "a/b/c.bin", bytes.NewReader(data), store.PutOptions{})
	require.NoError(t, err)
	assert.Equal(t, "a/b/c.bin", info.Key)
	assert.Equal(t, int64(len(data)), info.Size)
	assert.Equal(t, sum(data), info.SHA256)
	assert.NotEmpty(t, info.ETag)

	got, ginfo := readAll(t, s, "a/b/c.bin")
	assert.Equal(t, data, got)
	assert.Equal(t, sum(data), ginfo.SHA256)
	assert.Equal(t, int64(len(data)), ginfo.Size)
	assert.Equal(t, info.ETag, ginfo.ETag)

	st, err := s.Stat(ctx, "a/b/c.bin")
	require.NoError(t, err)
	assert.Equal(t, info.ETag, st.ETag)
	assert.Equal(t, sum(data), st.SHA256)
	assert.WithinDuration(t, time.Now(), st.Modified, time.Hour)
}

func (c contract) emptyObject(t *testing.T) {
	s, ctx := c.open(t), context.Background()
	info, err := s.Put(ctx, "empty", bytes.NewReader(nil), store.PutOptions{IfAbsent: true})
	require.NoError(t, err)
	assert.Equal(t, int64(0), info.Size)
	assert.Equal(t, sum(nil), info.SHA256)
	got, _ := readAll(t, s, "empty")
	assert.Empty(t, got)
}

func (c contract) largeStream(t *testing.T) {
	s, ctx := c.open(t), context.Background()
	data := randomBytes(c.opts.LargeSize, 2)
	// A plain io.Reader (no Seek, no Len) as a pipe would give.
	info, err := s.Put(ctx, "large/artifact.tar", io.MultiReader(bytes.NewReader(data)), store.PutOptions{SHA256: sum(data)})
	require.NoError(t, err)
	assert.Equal(t, sum(data), info.SHA256)
	assert.Equal(t, int64(len(data)), info.Size)
	got, ginfo := readAll(t, s, "large/artifact.tar")
	assert.Equal(t, sum(data), sum(got))
	assert.Equal(t, sum(data), ginfo.SHA256)
	v, err := store.Verify(ctx, s, "large/artifact.tar")
	require.NoError(t, err)
	assert.Equal(t, sum(data), v.SHA256)
	all, err := s.List(ctx, "")
	require.NoError(t, err)
	require.Len(t, all, 1, "staging objects must not be listed")
}

func (c contract) missing(t *testing.T) {
	s, ctx := c.open(t), context.Background()
	_, err := s.Get(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)
	assert.Contains(t, err.Error(), `"nope"`)
	_, err = s.Stat(ctx, "no/such/key")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func (c contract) overwrite(t *testing.T) {
	s, ctx := c.open(t), context.Background()
	i1, err := s.Put(ctx, "doc.json", bytes.NewReader([]byte(`{"v":1}`)), store.PutOptions{})
	require.NoError(t, err)
	i2, err := s.Put(ctx, "doc.json", bytes.NewReader([]byte(`{"v":2}`)), store.PutOptions{})
	require.NoError(t, err)
	assert.NotEqual(t, i1.ETag, i2.ETag)
	got, info := readAll(t, s, "doc.json")
	assert.Equal(t, `{"v":2}`, string(got))
	assert.Equal(t, i2.ETag, info.ETag)
}

func (c contract) ifAbsent(t *testing.T) {
	s, ctx := c.open(t), context.Background()
	_, err := s.Put(ctx, "once", bytes.NewReader([]byte("first")), store.PutOptions{IfAbsent: true})
	require.NoError(t, err)
	_, err = s.Put(ctx, "once", bytes.NewReader([]byte("second")), store.PutOptions{IfAbsent: true})
	require.ErrorIs(t, err, store.ErrExists)
	assert.Contains(t, err.Error(), `"once"`)
	got, _ := readAll(t, s, "once")
	assert.Equal(t, "first", string(got))
	// A large conditional create is refused as well and leaves the object.
	big := randomBytes(c.opts.LargeSize, 3)
	_, err = s.Put(ctx, "once", bytes.NewReader(big), store.PutOptions{IfAbsent: true})
	require.ErrorIs(t, err, store.ErrExists)
	got, _ = readAll(t, s, "once")
	assert.Equal(t, "first", string(got))
}

func (c contract) ifAbsentRace(t *testing.T) {
	s, ctx := c.open(t), context.Background()
	// Small objects, and large ones whose publish step decides the race.
	for _, round := range []struct {
		key  string
		n    int
		size int
	}{{"race", 8, 1}, {"race-large", 3, c.opts.LargeSize}} {
		var wg sync.WaitGroup
		errs := make([]error, round.n)
		for i := range round.n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				data := bytes.Repeat([]byte{byte(i)}, round.size)
				_, errs[i] = s.Put(ctx, round.key, bytes.NewReader(data), store.PutOptions{IfAbsent: true})
			}()
		}
		wg.Wait()
		t.Logf("%s: %v", round.key, errs)
		won := -1
		for i, err := range errs {
			if err == nil {
				require.Equal(t, -1, won, "two conditional creates of %s succeeded", round.key)
				won = i
			} else if round.size == 1 {
				require.ErrorIs(t, err, store.ErrExists)
			} else {
				// A staged (multipart) write may also lose to a
				// concurrent writer of the same key before publishing.
				require.True(t, errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrConflict), "%v", err)
			}
		}
		if won == -1 && round.size > 1 {
			// Every writer lost to another's interference: nothing was
			// published, and the key can still be created.
			_, err := s.Stat(ctx, round.key)
			require.ErrorIs(t, err, store.ErrNotFound)
			won = 0
			_, err = s.Put(ctx, round.key, bytes.NewReader(bytes.Repeat([]byte{0}, round.size)), store.PutOptions{IfAbsent: true})
			require.NoError(t, err)
		}
		require.NotEqual(t, -1, won)
		got, _ := readAll(t, s, round.key)
		assert.Equal(t, bytes.Repeat([]byte{byte(won)}, round.size), got, "the winner's bytes are published")
		_, err := store.Verify(ctx, s, round.key)
		require.NoError(t, err, "published digest matches the bytes")
	}
}

func (c contract) ifMatch(t *testing.T) {
	s, ctx := c.open(t), context.Background()
	_, err := s.Put(ctx, "cas", bytes.NewReader([]byte("x")), store.PutOptions{IfMatch: "0123"})
	require.ErrorIs(t, err, store.ErrPreconditionFailed, "If-Match on a missing key")
	i1, err := s.Put(ctx, "cas", bytes.NewReader([]byte("v1")), store.PutOptions{})
	require.NoError(t, err)
	i2, err := s.Put(ctx, "cas", bytes.NewReader([]byte("v2")), store.PutOptions{IfMatch: i1.ETag})
	require.NoError(t, err)
	_, err = s.Put(ctx, "cas", bytes.NewReader([]byte("v3")), store.PutOptions{IfMatch: i1.ETag})
	require.ErrorIs(t, err, store.ErrPreconditionFailed, "stale ETag")
	got, info := readAll(t, s, "cas")
	assert.Equal(t, "v2", string(got))
	assert.Equal(t, i2.ETag, info.ETag)
}

func (c contract) ifMatchRace(t *testing.T) {
	s, ctx := c.open(t), context.Background()
	base, err := s.Put(ctx, "cas", bytes.NewReader([]byte("base")), store.PutOptions{})
	require.NoError(t, err)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Put(ctx, "cas", bytes.NewReader([]byte{'w', byte('0' + i)}), store.PutOptions{IfMatch: base.ETag})
		}()
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		if err == nil {
			require.Equal(t, -1, won, "two compare-and-swaps on one ETag succeeded")
			won = i
		} else {
			require.ErrorIs(t, err, store.ErrPreconditionFailed)
		}
	}
	require.NotEqual(t, -1, won)
	got, _ := readAll(t, s, "cas")
	assert.Equal(t, []byte{'w', byte('0' + won)}, got)
}

func (c contract) digestMismatch(t *testing.T) {
	s, ctx := c.open(t), context.Background()
	for _, size := range []int{1000, c.opts.LargeSize} {
		data := randomBytes(size, 4)
		_, err := s.Put(ctx, "bad", bytes.NewReader(data), store.PutOptions{SHA256: sum([]byte("other"))})
		require.ErrorIs(t, err, store.ErrDigestMismatch)
		var de *store.DigestError
		require.ErrorAs(t, err, &de)
		assert.Equal(t, sum(data), de.Got)
		_, err = s.Stat(ctx, "bad")
		require.ErrorIs(t, err, store.ErrNotFound, "a mismatching stream was published")
	}
}

type failingReader struct {
	r     io.Reader
	after int
	n     int
}

var errBoom = errors.New("source broke")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n >= f.after {
		return 0, errBoom
	}
	if len(p) > f.after-f.n {
		p = p[:f.after-f.n]
	}
	n, err := f.r.Read(p)
	f.n += n
	return n, err
}

func (c contract) failedStream(t *testing.T) {
	s, ctx := c.open(t), context.Background()
	_, err := s.Put(ctx, "doc", bytes.NewReader([]byte("old")), store.PutOptions{})
	require.NoError(t, err)
	for _, after := range []int{10, c.opts.LargeSize/2 + 1} {
		data := randomBytes(c.opts.LargeSize, 5)
		_, err = s.Put(ctx, "doc", &failingReader{r: bytes.NewReader(data), after: after}, store.PutOptions{})
		require.ErrorIs(t, err, errBoom)
		got, _ := readAll(t, s, "doc")
		assert.Equal(t, "old", string(got), "a half-written stream replaced the object")
		_, err = s.Put(ctx, "fresh", &failingReader{r: bytes.NewReader(data), after: after}, store.PutOptions{})
		require.ErrorIs(t, err, errBoom)
		_, err = s.Stat(ctx, "fresh")
		require.ErrorIs(t, err, store.ErrNotFound, "a half-written stream was published")
	}
}

type cancelingReader struct {
	r      io.Reader
	after  int
	n      int
	cancel context.CancelFunc
}

func (c *cancelingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	if c.n >= c.after {
		c.cancel()
	}
	return n, err
}

func (c contract) canceled(t *testing.T) {
	s := c.open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	data := randomBytes(c.opts.LargeSize, 6)
	_, err := s.Put(ctx, "cut", &cancelingReader{r: bytes.NewReader(data), after: len(data) / 2, cancel: cancel}, store.PutOptions{})
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.Stat(context.Background(), "cut")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func (c contract) list(t *testing.T) {
	s, ctx := c.open(t), context.Background()
	keys := []string{"b/2", "a/1", "a/sub/3", "ab", "c"}
	for i, k := range keys {
		_, err := s.Put(ctx, k, bytes.NewReader(bytes.Repeat([]byte{'x'}, i+1)), store.PutOptions{})
		require.NoError(t, err)
	}
	names := func(prefix string) []string {
		infos, err := s.List(ctx, prefix)
		require.NoError(t, err)
		out := []string{}
		for _, i := range infos {
			out = append(out, i.Key)
			assert.Positive(t, i.Size)
			assert.NotEmpty(t, i.ETag)
		}
		return out
	}
	assert.Equal(t, []string{"a/1", "a/sub/3", "ab", "b/2", "c"}, names(""))
	assert.Equal(t, []string{"a/1", "a/sub/3", "ab"}, names("a"))
	assert.Equal(t, []string{"a/1", "a/sub/3"}, names("a/"))
	assert.Equal(t, []string{"a/sub/3"}, names("a/s"))
	assert.Equal(t, []string{}, names("zzz"))
	infos, err := s.List(ctx, "b/")
	require.NoError(t, err)
	require.Len(t, infos, 1)
	assert.Equal(t, int64(1), infos[0].Size)
}

func (c contract) delete(t *testing.T) {
	s, ctx := c.open(t), context.Background()
	_, err := s.Put(ctx, "x/y/z", bytes.NewReader([]byte("z")), store.PutOptions{})
	require.NoError(t, err)
	require.NoError(t, s.Delete(ctx, "x/y/z"))
	_, err = s.Stat(ctx, "x/y/z")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, s.Delete(ctx, "x/y/z"), "deleting a missing key")
	infos, err := s.List(ctx, "")
	require.NoError(t, err)
	assert.Empty(t, infos)
	// The key can be created again after deletion.
	_, err = s.Put(ctx, "x/y/z", bytes.NewReader([]byte("again")), store.PutOptions{IfAbsent: true})
	require.NoError(t, err)
}

func (c contract) invalidKeys(t *testing.T) {
	s, ctx := c.open(t), context.Background()
	for _, k := range []string{"", "/abs", "a//b", "a/../b", "./a", "a/", ".canic-tmp/x", "tab\tkey", `back\slash`} {
		_, err := s.Put(ctx, k, bytes.NewReader([]byte("x")), store.PutOptions{})
		require.ErrorIs(t, err, store.ErrInvalidKey, "key %q", k)
		_, err = s.Get(ctx, k)
		require.ErrorIs(t, err, store.ErrInvalidKey, "key %q", k)
		require.ErrorIs(t, s.Delete(ctx, k), store.ErrInvalidKey, "key %q", k)
	}
}

func (c contract) verify(t *testing.T) {
	s, ctx := c.open(t), context.Background()
	data := randomBytes(300_000, 7)
	_, err := s.Put(ctx, "v", bytes.NewReader(data), store.PutOptions{})
	require.NoError(t, err)
	info, err := store.Verify(ctx, s, "v")
	require.NoError(t, err)
	assert.Equal(t, sum(data), info.SHA256)
	// A VerifyingReader expecting another digest fails at EOF.
	obj, err := s.Get(ctx, "v")
	require.NoError(t, err)
	defer obj.Close()
	_, err = io.Copy(io.Discard, store.NewVerifyingReader(obj, "v", sum(nil)))
	require.ErrorIs(t, err, store.ErrDigestMismatch)
}
