package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/verify"
	"github.com/canic-backup/canic-backup/internal/ctxio"
)

// ErrInvalidSample is matched when VerifyOptions.SamplePercent is not in
// [0, 100].
var ErrInvalidSample = errors.New("sample percent must be between 0 and 100")

// Location names key in s for messages: the store's name joined with the
// key ("s3://bucket/prefix/NAME/file", "dir:/root/NAME/file").
func Location(s store.Store, key string) string {
	return strings.TrimSuffix(s.String(), "/") + "/" + key
}

// Verify checks the stored backup name without a local copy, as
// verify.Layout checks a directory: it reads and validates the manifest and
// journals, checks that they agree, and streams every (or a sampled share
// of the) artifact's objects, checking each object's recorded SHA-256 and
// the artifact's checksum from the manifest. Failures are
// *verify.VerificationError naming the object (store URL and key).
// The plan and execution journal, when the plan is there, are validated
// and checked against each other as `backup verify` does for a directory;
// the downtime record, when there, must match its recorded SHA-256.
func Verify(ctx context.Context, s store.Store, name string, opts VerifyOptions) (*VerifyReport, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	p := opts.SamplePercent
	if math.IsNaN(p) || p < 0 || p > 100 {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSample, p)
	}
	byKey, err := indexObjects(ctx, s, name)
	if err != nil {
		return nil, err
	}
	v := &verifier{s: s, name: name, byKey: byKey}

	data, err := v.document(ctx, layout.ManifestFile)
	if err != nil {
		return nil, err
	}
	m, err := verify.DecodeManifest(data, v.loc(layout.ManifestFile))
	if err != nil {
		return nil, err
	}
	if data, err = v.document(ctx, layout.DownloadJournalFile); err != nil {
		return nil, err
	}
	j, err := verify.DecodeDownloadJournal(data, v.loc(layout.DownloadJournalFile))
	if err != nil {
		return nil, err
	}
	if err := v.execution(ctx); err != nil {
		return nil, err
	}
	if _, ok := byKey[Key(name, DowntimeFile)]; ok {
		if _, err := v.document(ctx, DowntimeFile); err != nil {
			return nil, err
		}
	}

	n := len(m.Fleet.Members)
	rep := &VerifyReport{Store: s.String(), Name: name, Total: n, SamplePercent: 100}
	var include func(int) bool
	if p > 0 && p < 100 {
		rep.SamplePercent = p
		rep.Seed = opts.Seed
		for rep.Seed == 0 {
			rep.Seed = rand.Int64()
		}
		chosen := Sample(n, p, rep.Seed)
		include = func(i int) bool { return chosen[i] }
	}
	r, err := verify.Check(ctx, m, j, verify.CheckOptions{
		ManifestPath: v.loc(layout.ManifestFile),
		JournalPath:  v.loc(layout.DownloadJournalFile),
		Checksum:     v.checksum,
		Include:      include,
		Concurrency:  workers(opts.Concurrency),
	})
	if err != nil {
		return nil, err
	}
	rep.Report = *r
	rep.Sampled = len(r.Artifacts)
	rep.Bytes = v.bytes.Load()
	return rep, nil
}

// Sample returns the members (indexes in [0, n)) a verification of percent
// P with seed checks: ceil(P/100 * n) of them, at least one when n > 0,
// chosen by a math/rand/v2 PCG generator seeded with seed, so the same
// inputs give the same choice.
func Sample(n int, percent float64, seed int64) map[int]bool {
	k := int(math.Ceil(percent / 100 * float64(n)))
	k = max(1, min(k, n))
	r := rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))
	out := make(map[int]bool, k)
	for _, i := range r.Perm(n)[:k] {
		out[i] = true
	}
	return out
}

type verifier struct {
	s     store.Store
	name  string
	byKey map[string]store.ObjectInfo
	bytes atomic.Int64
}

func (v *verifier) loc(rel string) string { return Location(v.s, Key(v.name, rel)) }

// document reads a document, verified against its recorded SHA-256.
func (v *verifier) document(ctx context.Context, file string) ([]byte, error) {
	data, err := ReadDocument(ctx, v.s, v.name, file)
	switch {
	case err == nil:
		return data, nil
	case errors.Is(err, store.ErrNotFound) && file == layout.ManifestFile:
		return nil, &verify.VerificationError{Code: verify.CodeUnreadable, Path: v.loc(file),
			Message: fmt.Sprintf("%s is missing: the backup is not complete", file),
			Err:     fmt.Errorf("%w: %w", ErrIncomplete, err)}
	case errors.Is(err, store.ErrNotFound):
		return nil, &verify.VerificationError{Code: verify.CodeUnreadable, Path: v.loc(file),
			Message: fmt.Sprintf("%s is missing", file), Err: err}
	case errors.Is(err, store.ErrDigestMismatch):
		return nil, &verify.VerificationError{Code: verify.CodeChecksum, Path: v.loc(file), Message: err.Error(), Err: err}
	case ctx.Err() != nil:
		return nil, ctx.Err()
	default:
		return nil, &verify.VerificationError{Code: verify.CodeUnreadable, Path: v.loc(file), Message: err.Error(), Err: err}
	}
}

// execution validates the plan and execution journal when the plan is
// there and checks that the journal executes the plan.
func (v *verifier) execution(ctx context.Context) error {
	if _, ok := v.byKey[Key(v.name, layout.PlanFile)]; !ok {
		return nil
	}
	data, err := v.document(ctx, layout.PlanFile)
	if err != nil {
		return err
	}
	p, err := verify.DecodePlan(data, v.loc(layout.PlanFile))
	if err != nil {
		return err
	}
	if data, err = v.document(ctx, layout.ExecutionJournalFile); err != nil {
		return err
	}
	ej, err := verify.DecodeExecutionJournal(data, v.loc(layout.ExecutionJournalFile))
	if err != nil {
		return err
	}
	if _, err := verify.Execution(p, ej); err != nil {
		var ve *verify.VerificationError
		if errors.As(err, &ve) {
			ve.Path = v.loc(layout.ExecutionJournalFile)
		}
		return err
	}
	return nil
}

// checksum streams every object of the artifact recorded at rel, checking
// each one's recorded SHA-256 and size, and returns the artifact's
// checksum computed from the objects' digests.
func (v *verifier) checksum(ctx context.Context, rel string) (string, checksum.Checksum, error) {
	display, sum, _, err := v.checksumFiles(ctx, rel)
	return display, sum, err
}

// checksumFiles is checksum that also returns a directory artifact's file
// digests (nil for a single-object artifact).
func (v *verifier) checksumFiles(ctx context.Context, rel string) (string, checksum.Checksum, []checksum.FileDigest, error) {
	artifactKey := Key(v.name, rel)
	display := Location(v.s, artifactKey)
	if err := store.ValidateKey(artifactKey); err != nil {
		return display, checksum.Checksum{}, nil, &verify.VerificationError{Code: verify.CodeArtifactPathEscapesBackup,
			Path: display, Message: fmt.Sprintf("artifact path is not a key inside the backup: %s", rel), Err: err}
	}
	objs := ArtifactObjects(v.name, rel, v.byKey)
	if len(objs) == 0 {
		return display, checksum.Checksum{}, nil, &verify.VerificationError{Code: verify.CodeMissingArtifact,
			Path: display, Message: fmt.Sprintf("artifact has no objects in the store: %s", display), Err: store.ErrNotFound}
	}
	if len(objs) == 1 && objs[0].Key == artifactKey {
		sum, err := v.object(ctx, artifactKey)
		return display, checksum.Checksum{Algorithm: checksum.Algorithm, Hash: sum}, nil, err
	}
	files := make([]checksum.FileDigest, 0, len(objs))
	for _, o := range objs {
		sum, err := v.object(ctx, o.Key)
		if err != nil {
			return display, checksum.Checksum{}, nil, err
		}
		files = append(files, checksum.FileDigest{Rel: strings.TrimPrefix(o.Key, artifactKey+"/"), SHA256: sum})
	}
	return display, checksum.FromFileDigests(files), files, nil
}

// object streams key and returns the SHA-256 of its bytes, failing with a
// *verify.VerificationError when they differ from the recorded digest or
// size.
func (v *verifier) object(ctx context.Context, key string) (string, error) {
	loc := Location(v.s, key)
	obj, err := v.s.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return "", &verify.VerificationError{Code: verify.CodeMissingArtifact, Path: loc,
			Message: fmt.Sprintf("object disappeared while verifying: %s", loc), Err: err}
	}
	if err != nil {
		return "", err
	}
	defer obj.Close()
	vr := store.NewVerifyingReader(ctxio.NewReader(ctx, obj.Body), key, obj.Info.SHA256)
	buf := make([]byte, checksum.BufferSize)
	_, err = io.CopyBuffer(io.Discard, vr, buf)
	v.bytes.Add(vr.N())
	switch {
	case errors.Is(err, store.ErrDigestMismatch):
		return "", &verify.VerificationError{Code: verify.CodeChecksum, Path: loc, Message: err.Error(), Err: err}
	case err != nil:
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", &verify.VerificationError{Code: verify.CodeUnreadable, Path: loc, Message: err.Error(), Err: err}
	case vr.N() != obj.Info.Size:
		return "", &verify.VerificationError{Code: verify.CodeChecksum, Path: loc,
			Message: fmt.Sprintf("object size %d, read %d bytes", obj.Info.Size, vr.N()), Err: store.ErrDigestMismatch}
	}
	return vr.Sum(), nil
}
