package archive

import (
	"context"
	"errors"
	"fmt"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/store"
	"github.com/canic-backup/canic-backup/core/verify"
	"github.com/canic-backup/canic-backup/internal/parallel"
)

// ArtifactsReport is what VerifyArtifacts found.
type ArtifactsReport struct {
	// Checksums maps each artifact path asked for to its checksum,
	// computed from the stored objects as checksum.FromPath computes it
	// from a local copy.
	Checksums map[string]checksum.Checksum
	// Files maps each directory artifact asked for to the digests of its
	// files (streamed and checked like the rest), as a local copy's
	// checksum.FromPathWithFiles gives them.
	Files map[string][]checksum.FileDigest
	// Objects and Bytes count the objects streamed and their bytes.
	Objects int
	Bytes   int64
}

// VerifyArtifacts checks the artifacts at paths (as the manifest records
// them) of the stored backup name without a local copy, giving the
// guarantees Fetch gives for them: every object is streamed and must match
// its recorded SHA-256 and size, and each artifact's checksum (from the
// objects' digests) must match the manifest's (else the download
// journal's) when one is recorded. Failures are *verify.VerificationError
// naming the object or artifact by store URL and key (a checksum mismatch
// also matches checksum.ErrMismatch, a corrupt object
// store.ErrDigestMismatch, a missing manifest ErrIncomplete); a path the
// manifest does not record matches ErrUnknownArtifact.
func VerifyArtifacts(ctx context.Context, s store.Store, name string, paths []string, concurrency int) (*ArtifactsReport, error) {
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
	var j *journal.DownloadJournal
	if _, ok := byKey[Key(name, layout.DownloadJournalFile)]; ok {
		if data, err = v.document(ctx, layout.DownloadJournalFile); err != nil {
			return nil, err
		}
		j, _ = journal.DecodeDownloadJournal(data)
	}
	sel, err := selectArtifacts(m, FetchOptions{Artifacts: paths})
	if err != nil {
		return nil, fmt.Errorf("verify artifacts of %s %q: %w", s, name, err)
	}
	sums := make([]checksum.Checksum, len(sel))
	files := make([][]checksum.FileDigest, len(sel))
	err = parallel.ForEach(ctx, workers(concurrency), len(sel), func(ctx context.Context, i int) error {
		display, sum, fs, err := v.checksumFiles(ctx, sel[i])
		files[i] = fs
		if err != nil {
			return err
		}
		if want := expectedChecksum(m, j, sel[i]); want != "" {
			if err := sum.Verify(want); err != nil {
				var me *checksum.MismatchError
				if errors.As(err, &me) {
					me.Path = display
				}
				return &verify.VerificationError{Code: verify.CodeChecksum, Path: display, Message: err.Error(), Err: err}
			}
		}
		sums[i] = sum
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep := &ArtifactsReport{Checksums: make(map[string]checksum.Checksum, len(sel)), Files: map[string][]checksum.FileDigest{}, Bytes: v.bytes.Load()}
	for i, p := range sel {
		rep.Checksums[p] = sums[i]
		if files[i] != nil {
			rep.Files[p] = files[i]
		}
		rep.Objects += len(ArtifactObjects(name, p, byKey))
	}
	return rep, nil
}
