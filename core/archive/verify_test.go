package archive_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/verify"
)

func publishedGolden(t *testing.T) (store.Store, string) {
	t.Helper()
	s := newDirStore(t)
	_, err := archive.Publish(context.Background(), s, "b", goldenBackup(t, "b"), archive.PublishOptions{})
	require.NoError(t, err)
	return s, "b"
}

func requireCode(t *testing.T, err error, code verify.Code, path string) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, verify.ErrVerification)
	var ve *verify.VerificationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, code, ve.Code, "%v", err)
	assert.Equal(t, path, ve.Path)
	assert.Contains(t, err.Error(), path)
}

func TestVerifyStoredBackup(t *testing.T) {
	ctx := context.Background()
	s, name := publishedGolden(t)
	rep, err := archive.Verify(ctx, s, name, archive.VerifyOptions{})
	require.NoError(t, err)
	assert.True(t, rep.Verified)
	assert.Equal(t, 3, rep.Total)
	assert.Equal(t, 3, rep.Sampled)
	assert.Equal(t, 3, rep.DurableArtifacts)
	assert.Equal(t, float64(100), rep.SamplePercent)
	assert.Positive(t, rep.Bytes)
	assert.Equal(t, archive.Location(s, "b/"+rootID), rep.Artifacts[0].ArtifactPath)
	assert.Equal(t, s.String(), rep.Store)
}

func TestVerifyDetectsTampering(t *testing.T) {
	ctx := context.Background()
	t.Run("object replaced", func(t *testing.T) {
		s, name := publishedGolden(t)
		// A Put records the new bytes' digest: the object is consistent,
		// the artifact's checksum is not.
		_, err := s.Put(ctx, name+"/"+appID+"/wasm_module.bin", strings.NewReader("other"), store.PutOptions{})
		require.NoError(t, err)
		_, err = archive.Verify(ctx, s, name, archive.VerifyOptions{})
		requireCode(t, err, verify.CodeChecksum, archive.Location(s, name+"/"+appID))
	})
	t.Run("object bytes differ from its recorded digest", func(t *testing.T) {
		s := &lyingStore{Store: newDirStore(t), key: "b/" + hubID + "/memory/heap.bin"}
		_, err := archive.Publish(ctx, s, "b", goldenBackup(t, "b"), archive.PublishOptions{})
		require.NoError(t, err)
		_, err = archive.Verify(ctx, s, "b", archive.VerifyOptions{})
		requireCode(t, err, verify.CodeChecksum, archive.Location(s, s.key))
		assert.ErrorIs(t, err, store.ErrDigestMismatch)
	})
	t.Run("object deleted", func(t *testing.T) {
		s, name := publishedGolden(t)
		require.NoError(t, s.Delete(ctx, name+"/"+hubID+"/memory/stable.bin"))
		_, err := archive.Verify(ctx, s, name, archive.VerifyOptions{})
		requireCode(t, err, verify.CodeChecksum, archive.Location(s, name+"/"+hubID))
	})
	t.Run("extra object", func(t *testing.T) {
		s, name := publishedGolden(t)
		put(t, s, name+"/"+rootID+"/extra.bin", "x")
		_, err := archive.Verify(ctx, s, name, archive.VerifyOptions{})
		requireCode(t, err, verify.CodeChecksum, archive.Location(s, name+"/"+rootID))
	})
	t.Run("artifact gone", func(t *testing.T) {
		s, name := publishedGolden(t)
		objs, err := s.List(ctx, name+"/"+rootID+"/")
		require.NoError(t, err)
		for _, o := range objs {
			require.NoError(t, s.Delete(ctx, o.Key))
		}
		_, err = archive.Verify(ctx, s, name, archive.VerifyOptions{})
		requireCode(t, err, verify.CodeMissingArtifact, archive.Location(s, name+"/"+rootID))
	})
	t.Run("journal invalid", func(t *testing.T) {
		s, name := publishedGolden(t)
		put(t, s, name+"/"+layout.DownloadJournalFile, `{"journal_version": 1}`)
		_, err := archive.Verify(ctx, s, name, archive.VerifyOptions{})
		requireCode(t, err, verify.CodeUnreadable, archive.Location(s, name+"/"+layout.DownloadJournalFile))
	})
	t.Run("execution journal missing", func(t *testing.T) {
		s, name := publishedGolden(t)
		require.NoError(t, s.Delete(ctx, name+"/"+layout.ExecutionJournalFile))
		_, err := archive.Verify(ctx, s, name, archive.VerifyOptions{})
		requireCode(t, err, verify.CodeUnreadable, archive.Location(s, name+"/"+layout.ExecutionJournalFile))
	})
	t.Run("no manifest", func(t *testing.T) {
		s, name := publishedGolden(t)
		require.NoError(t, s.Delete(ctx, name+"/"+layout.ManifestFile))
		_, err := archive.Verify(ctx, s, name, archive.VerifyOptions{})
		require.ErrorIs(t, err, archive.ErrIncomplete)
		requireCode(t, err, verify.CodeUnreadable, archive.Location(s, name+"/"+layout.ManifestFile))
	})
}

// lyingStore serves other bytes for one key than those whose digest it
// recorded, as a bit flip at rest would.
type lyingStore struct {
	store.Store
	key string
}

func (l *lyingStore) Get(ctx context.Context, key string) (*store.Object, error) {
	obj, err := l.Store.Get(ctx, key)
	if err != nil || key != l.key {
		return obj, err
	}
	data := make([]byte, obj.Info.Size)
	_, _ = obj.Body.Read(data)
	_ = obj.Body.Close()
	data[0] ^= 0xff
	obj.Body = ioNopCloser{strings.NewReader(string(data))}
	return obj, nil
}

type ioNopCloser struct{ *strings.Reader }

func (ioNopCloser) Close() error { return nil }

func TestVerifySampling(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		n    int
		p    float64
		want int
	}{{3, 10, 1}, {3, 34, 2}, {3, 50, 2}, {3, 66.7, 3}, {100, 1, 1}, {100, 10, 10}, {100, 10.5, 11}, {1000, 0.01, 1}} {
		got := archive.Sample(c.n, c.p, 42)
		assert.Len(t, got, c.want, "n=%d p=%v", c.n, c.p)
		assert.Equal(t, got, archive.Sample(c.n, c.p, 42), "deterministic for a seed")
		for i := range got {
			assert.True(t, i >= 0 && i < c.n)
		}
		assert.Equal(t, c.want, int(math.Max(1, math.Ceil(c.p/100*float64(c.n)))))
	}
	assert.NotEqual(t, archive.Sample(100, 10, 1), archive.Sample(100, 10, 2))

	s, name := publishedGolden(t)
	rep, err := archive.Verify(ctx, s, name, archive.VerifyOptions{SamplePercent: 34, Seed: 7})
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Sampled)
	assert.Equal(t, int64(7), rep.Seed)
	assert.Equal(t, 3, rep.Total)
	rep2, err := archive.Verify(ctx, s, name, archive.VerifyOptions{SamplePercent: 34, Seed: 7})
	require.NoError(t, err)
	assert.Equal(t, rep.Artifacts, rep2.Artifacts, "same seed, same sample")

	rep, err = archive.Verify(ctx, s, name, archive.VerifyOptions{SamplePercent: 1})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Sampled)
	assert.NotZero(t, rep.Seed, "a random seed is reported")

	// A tampered artifact outside the sample goes unnoticed; with every
	// artifact it is found.
	chosen := archive.Sample(3, 34, 7)
	skipped := -1
	for i := range 3 {
		if !chosen[i] {
			skipped = i
		}
	}
	ids := []string{rootID, appID, hubID} // golden manifest member order
	_, err = s.Put(ctx, name+"/"+ids[skipped]+"/metadata.json", strings.NewReader("x"), store.PutOptions{})
	require.NoError(t, err)
	_, err = archive.Verify(ctx, s, name, archive.VerifyOptions{SamplePercent: 34, Seed: 7})
	require.NoError(t, err)
	_, err = archive.Verify(ctx, s, name, archive.VerifyOptions{})
	requireCode(t, err, verify.CodeChecksum, archive.Location(s, name+"/"+ids[skipped]))

	_, err = archive.Verify(ctx, s, name, archive.VerifyOptions{SamplePercent: 101})
	require.ErrorIs(t, err, archive.ErrInvalidSample)
}
