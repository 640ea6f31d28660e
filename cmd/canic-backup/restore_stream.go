package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/restore"
)

// streamedArtifacts checks the artifacts at paths of the source's remote
// backup by streaming them from the store (no local copy: each object
// against its recorded SHA-256, each artifact's checksum against the
// manifest) and returns their checksums by path. It writes one line to
// stderr: `checked K artifacts (N objects, X MiB) in STORE by streaming in Ys`.
func (r *restoreSource) streamedArtifacts(ctx context.Context, e env, what string, paths []string) (*archive.ArtifactsReport, error) {
	start := time.Now()
	rep, err := archive.VerifyArtifacts(ctx, r.choice.Store, r.name, paths, 0)
	if err != nil {
		err = fmt.Errorf("%s: check the artifacts of backup %s in %s: %w", what, r.name, r.choice.Store, err)
		if restoreIntegrityError(err) {
			return nil, verifyFailed(err)
		}
		return nil, err
	}
	fmt.Fprintf(e.stderr, "checked %d artifacts (%d objects, %.1f MiB) in %s by streaming in %s\n",
		len(rep.Checksums), rep.Objects, float64(rep.Bytes)/(1<<20), r.choice.Store, time.Since(start).Round(time.Millisecond))
	return rep, nil
}

// streamedDryRun is restore.BuildDryRun for a backup whose artifacts are
// in a store, not under root: the operations are rendered as for any
// plan, and the artifact validation is the one BuildDryRun writes for a
// local copy at root (the same backup_root, resolved paths and checksums),
// the checksums and file digests coming from rep (streamedArtifacts), so the journal is the
// one a full local fetch would give.
func streamedDryRun(ctx context.Context, p *restore.Plan, root string, rep *archive.ArtifactsReport) (*restore.DryRun, error) {
	sums := rep.Checksums
	// The documents were fetched into root: the same plan-against-manifest
	// check as for a local directory.
	if err := restore.CheckPlanManifest(p, root); err != nil {
		return nil, err
	}
	d, err := restore.BuildDryRun(ctx, p, "")
	if err != nil {
		return nil, err
	}
	v := &restore.ArtifactValidation{BackupRoot: root, Checks: []restore.ArtifactCheck{}}
	for _, m := range p.Members {
		snap := m.SourceSnapshot
		resolved, err := restore.ResolveArtifact(root, m.SourceCanister, snap.ArtifactPath)
		if err != nil {
			return nil, err
		}
		sum, ok := sums[snap.ArtifactPath]
		if !ok {
			return nil, fmt.Errorf("restore artifact for %s is missing: %s was not checked in the store: %w",
				m.SourceCanister, snap.ArtifactPath, restore.CodeArtifactMissing)
		}
		c := restore.ArtifactCheck{
			SourceCanister: m.SourceCanister, TargetCanister: m.TargetCanister,
			SnapshotID: snap.SnapshotID, ArtifactPath: snap.ArtifactPath, ResolvedPath: resolved,
			Exists: true, ChecksumAlgorithm: snap.ChecksumAlgorithm,
		}
		if snap.Checksum != nil {
			want := *snap.Checksum
			c.ChecksumExpected = &want
			if err := sum.Verify(strings.ToLower(want)); err != nil {
				return nil, fmt.Errorf("restore artifact checksum failed for %s at %s: %w (%w)", m.SourceCanister, snap.ArtifactPath, err, restore.CodeArtifactChecksum)
			}
			actual := sum.Hash
			c.ChecksumActual = &actual
			c.ChecksumVerified = true
			c.SetFiles(rep.Files[snap.ArtifactPath])
			v.MembersWithExpectedChecksums++
		}
		v.Checks = append(v.Checks, c)
	}
	v.CheckedMembers = len(v.Checks)
	v.ArtifactsPresent = true
	verified := true
	for _, c := range v.Checks {
		verified = verified && c.Exists && c.ChecksumVerified
	}
	v.ChecksumsVerified = v.MembersWithExpectedChecksums == p.MemberCount && verified
	d.ArtifactValidation = v
	return d, nil
}
