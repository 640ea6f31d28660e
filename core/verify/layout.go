package verify

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/canic-backup/canic-backup/core/checksum"
	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/manifest"
)

// Layout verifies the backup directory root as `backup verify` does
// (reference §5.3): it reads and validates the manifest and the download
// journal, checks that they agree, and recomputes every artifact's checksum.
// It changes nothing. The first problem is returned as a *VerificationError
// naming the file at fault.
func Layout(ctx context.Context, root string) (*Report, error) {
	m, err := ReadManifest(root)
	if err != nil {
		return nil, err
	}
	j, err := ReadDownloadJournal(root)
	if err != nil {
		return nil, err
	}
	return Artifacts(ctx, root, m, j)
}

// Artifacts runs the cross-document and artifact checks of Layout on
// already-validated documents.
func Artifacts(ctx context.Context, root string, m *manifest.FleetBackupManifest, j *journal.DownloadJournal) (*Report, error) {
	return Check(ctx, m, j, CheckOptions{
		ManifestPath: filepath.Join(root, ManifestFile),
		JournalPath:  filepath.Join(root, DownloadJournalFile),
		Checksum:     DirectoryChecksummer(root),
	})
}

// DirectoryChecksummer checksums artifacts below the backup directory root
// as Layout does: the recorded path must stay inside root and lead, through
// no symbolic link or special file, to an existing file or directory.
func DirectoryChecksummer(root string) Checksummer {
	return func(ctx context.Context, rel string) (string, checksum.Checksum, error) {
		path, err := resolveArtifact(root, rel)
		if err != nil {
			return joinDisplay(root, rel), checksum.Checksum{}, err
		}
		sum, err := checksum.FromPath(ctx, path)
		if err != nil {
			var ee *checksum.EntryError
			if errors.As(err, &ee) {
				return path, sum, fail(CodeUnsupportedArtifactEntry, ee.Path, err, "%s", ee.Error())
			}
			return path, sum, err
		}
		return path, sum, nil
	}
}
