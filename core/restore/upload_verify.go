package restore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/manifest"
	"github.com/canic-backup/canic-backup/core/wire"
)

// Failure reasons and the status label of an upload refused before
// anything was sent because its artifact could not be proven to be the
// one apply verified.
const (
	ReasonArtifactChecksumMismatch = "artifact-checksum-mismatch"
	ReasonArtifactNotBound         = "artifact-not-bound-to-member"
	ReasonArtifactUnreadable       = "artifact-unreadable"
	ReasonArtifactMissing          = "artifact-missing"
	ReasonArtifactPathEscapes      = "artifact-path-escapes-backup"
	StatusArtifactRefused          = "artifact-refused"
)

// ArtifactPreparer is an executor that must make an upload's artifact
// available at its path before the runner stages it (`restore run --store`
// fetches it from the store). ArtifactUploaded is called once the upload
// succeeded, so a fetched copy can be removed.
type ArtifactPreparer interface {
	// PrepareArtifact makes the artifact at path available. A
	// *CommandError is a definite failure of the upload (nothing was sent).
	PrepareArtifact(ctx context.Context, path string) error
	// ArtifactUploaded reports that the artifact at path was uploaded.
	ArtifactUploaded(path string)
}

// artifactRefusal is an upload refused before it was sent: the operation
// is marked failed with reason, and err is the run's error.
type artifactRefusal struct {
	reason string
	err    *Error
}

func (a *artifactRefusal) Error() string { return a.err.Error() }
func (a *artifactRefusal) Unwrap() error { return a.err }

func (r *runner) refuse(op JournalOperation, code Code, reason string, cause error, format string, args ...any) error {
	e := newError(code, format, args...).withSeq(op.Sequence)
	if op.ArtifactPath != nil {
		e = e.withField("artifact_path", *op.ArtifactPath)
	}
	if cause != nil {
		e = e.wrapping(cause)
	}
	return &artifactRefusal{reason: reason, err: e}
}

// backupManifest reads (once) the manifest in the journal's backup_root.
func (r *runner) backupManifest() (*manifest.FleetBackupManifest, string, error) {
	if r.j.BackupRoot == nil {
		return nil, "", errors.New("the journal records no backup_root")
	}
	path := layout.New(*r.j.BackupRoot).ManifestPath()
	if r.manifest != nil {
		return r.manifest, path, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, path, err
	}
	var m manifest.FleetBackupManifest
	if err := wire.Unmarshal(data, &m); err != nil {
		return nil, path, fmt.Errorf("%s: %w", path, err)
	}
	r.manifest = &m
	return &m, path, nil
}

// expectedChecksum is the checksum an upload's bytes must have: the one
// the journal row records (apply verified it), which must also be the
// manifest's for the row's source canister, whose artifact path and
// snapshot id the row must name. A 0.35.1 journal (no checksum on its
// rows) takes the manifest's. So a row edited to upload another member's
// artifact, or to carry another checksum, is refused.
func (r *runner) expectedChecksum(op JournalOperation) (string, error) {
	journal := r.opts.Journal
	m, path, err := r.backupManifest()
	if err != nil {
		return "", r.refuse(op, CodeArtifactBinding, ReasonArtifactNotBound, err,
			"restore apply journal %s operation %d: cannot read the backup manifest to bind the artifact of %s to its checksum: %v",
			journal, op.Sequence, op.SourceCanister, err)
	}
	var mem *manifest.FleetMember
	for i := range m.Fleet.Members {
		if m.Fleet.Members[i].CanisterID == op.SourceCanister {
			mem = &m.Fleet.Members[i]
			break
		}
	}
	ap := valOr(op.ArtifactPath)
	switch {
	case mem == nil:
		return "", r.refuse(op, CodeArtifactBinding, ReasonArtifactNotBound, nil,
			"restore apply journal %s operation %d: source canister %s is not a member of the backup manifest %s",
			journal, op.Sequence, op.SourceCanister, path)
	case mem.SourceSnapshot.ArtifactPath != ap:
		return "", r.refuse(op, CodeArtifactBinding, ReasonArtifactNotBound, nil,
			"restore apply journal %s operation %d: artifact_path %s is not the artifact of %s (the manifest %s records %s); refusing to upload another member's artifact",
			journal, op.Sequence, ap, op.SourceCanister, path, mem.SourceSnapshot.ArtifactPath)
	case op.SnapshotID != nil && *op.SnapshotID != mem.SourceSnapshot.SnapshotID:
		return "", r.refuse(op, CodeArtifactBinding, ReasonArtifactNotBound, nil,
			"restore apply journal %s operation %d: snapshot_id %s is not the snapshot of %s (the manifest %s records %s)",
			journal, op.Sequence, *op.SnapshotID, op.SourceCanister, path, mem.SourceSnapshot.SnapshotID)
	}
	mc := mem.SourceSnapshot.Checksum
	switch {
	case op.Checksum != nil && mc != nil && !strings.EqualFold(*op.Checksum, *mc):
		return "", r.refuse(op, CodeArtifactBinding, ReasonArtifactNotBound, nil,
			"restore apply journal %s operation %d: checksum %s is not the checksum of %s's artifact %s (the manifest %s records %s)",
			journal, op.Sequence, *op.Checksum, op.SourceCanister, ap, path, *mc)
	case op.Checksum != nil:
		return strings.ToLower(*op.Checksum), nil
	case mc != nil:
		return strings.ToLower(*mc), nil
	}
	return "", r.refuse(op, CodeArtifactBinding, ReasonArtifactNotBound, nil,
		"restore apply journal %s operation %d: no checksum is known for the artifact %s of %s (neither the journal nor the manifest %s records one); nothing unverified is uploaded",
		journal, op.Sequence, ap, op.SourceCanister, path)
}

// stageVerified stages the artifact at input privately and checks the
// staged bytes against want. Only the returned copy may be uploaded; the
// caller removes it.
func (r *runner) stageVerified(ctx context.Context, op JournalOperation, input, want string) (*StagedArtifact, error) {
	journal := r.opts.Journal
	staged, err := StageArtifact(ctx, journal, input)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, r.refuse(op, CodeArtifactMissing, ReasonArtifactMissing, err,
				"restore artifact %s of %s (journal %s operation %d) is missing: %v; nothing was uploaded",
				input, op.SourceCanister, journal, op.Sequence, err)
		}
		return nil, r.refuse(op, CodeArtifactChecksum, ReasonArtifactUnreadable, err,
			"restore artifact %s of %s (journal %s operation %d) cannot be staged for upload: %v; nothing was uploaded",
			input, op.SourceCanister, journal, op.Sequence, err)
	}
	if err := staged.Checksum.Verify(want); err != nil {
		_ = staged.Remove()
		var me *checksum.MismatchError
		if errors.As(err, &me) {
			me.Path = input
		}
		detail := ""
		if f := changedFile(input, op.Files, staged.Files); f != "" {
			detail = f + "; "
		}
		return nil, r.refuse(op, CodeArtifactChecksum, ReasonArtifactChecksumMismatch, err,
			"restore artifact %s of %s changed since restore apply verified it: %schecksum mismatch: expected %s, actual %s (journal %s operation %d); nothing was uploaded",
			input, op.SourceCanister, detail, want, staged.Checksum.Hash, journal, op.Sequence)
	}
	return staged, nil
}

// uploadVerified runs one upload: the artifact bound to the row's member
// is made available (ArtifactPreparer), copied into owner-only staging,
// hashed there against the expected checksum, and only the staged copy is
// uploaded. Any doubt refuses the upload before anything is sent to the
// target (its snapshots are listed for the upload intent only after the
// staged copy checked out).
func (r *runner) uploadVerified(ctx context.Context, op JournalOperation, in CommandOp) (string, *uploadIntent, error) {
	ex := r.opts.Executor
	want, err := r.expectedChecksum(op)
	if err != nil {
		return "", nil, err
	}
	prep, hasPrep := ex.(ArtifactPreparer)
	if hasPrep {
		if err := prep.PrepareArtifact(ctx, in.InputPath); err != nil {
			return "", nil, err
		}
	}
	staged, err := r.stageVerified(ctx, op, in.InputPath, want)
	if err != nil {
		return "", nil, err
	}
	defer func() { _ = staged.Remove() }()
	prior, err := r.beforeUpload(ctx, op.Sequence, in.Target)
	if err != nil {
		return "", nil, err
	}
	id, err := ex.UploadSnapshot(ctx, in.Target, staged.Path)
	if err == nil && hasPrep {
		prep.ArtifactUploaded(in.InputPath)
	}
	return id, prior, err
}

// changedFile names the first file (in path order) of the artifact at
// input whose staged digest differs from the one apply recorded, or that
// appeared or disappeared since; "" when the journal records no file
// digests or none differs.
func changedFile(input string, recorded []ArtifactFile, staged []checksum.FileDigest) string {
	if len(recorded) == 0 {
		return ""
	}
	want := map[string]string{}
	var paths []string
	for _, f := range recorded {
		want[f.Path] = f.SHA256
		paths = append(paths, f.Path)
	}
	got := map[string]string{}
	for _, f := range staged {
		got[f.Rel] = f.SHA256
		if _, ok := want[f.Rel]; !ok {
			paths = append(paths, f.Rel)
		}
	}
	slices.SortFunc(paths, checksum.ComparePaths)
	for _, p := range paths {
		name := filepath.Join(input, filepath.FromSlash(p))
		w, inJournal := want[p]
		g, isStaged := got[p]
		switch {
		case !isStaged:
			return "file " + name + " is missing"
		case !inJournal:
			return "file " + name + " was added"
		case !strings.EqualFold(w, g):
			return fmt.Sprintf("file %s differs (sha256 %s, recorded %s)", name, g, w)
		}
	}
	return ""
}
