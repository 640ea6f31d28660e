package sealed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/verify"
)

// Documents are the backup documents a sealed backup carries, in the order
// Publish seals them (the manifest last).
var Documents = []string{layout.PlanFile, layout.ExecutionJournalFile, layout.DownloadJournalFile, layout.ManifestFile}

// PublishReport sums up a Publish.
type PublishReport struct {
	Store     string        `json:"store"`
	Name      string        `json:"name"`
	Artifacts int           `json:"artifacts"`
	Documents int           `json:"documents"`
	Write     WriteReport   `json:"write"`
	Duration  time.Duration `json:"duration_ns"`
}

// Publish completes backup name from the local backup directory dir with
// writer w (the run's sink, or nil for a new one): every artifact the
// manifest records that w does not hold yet is stored (and its local copy
// removed with removeLocal), then the documents are sealed, the manifest
// last, and the backup is committed.
func (r *Repo) Publish(ctx context.Context, w *Writer, name, dir string, removeLocal bool) (*PublishReport, error) {
	start := time.Now()
	rep := &PublishReport{Store: r.name, Name: name}
	if w == nil {
		var err error
		if w, err = r.NewWriter(ctx, name); err != nil {
			return rep, err
		}
		defer w.Close()
	}
	data, err := os.ReadFile(filepath.Join(dir, layout.ManifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return rep, fmt.Errorf("%s: no %s: %w", dir, layout.ManifestFile, ErrIncomplete)
	}
	if err != nil {
		return rep, err
	}
	m, err := verify.DecodeManifest(data, filepath.Join(dir, layout.ManifestFile))
	if err != nil {
		return rep, err
	}
	l := layout.New(dir)
	for _, mem := range m.Fleet.Members {
		rel, sum := mem.SourceSnapshot.ArtifactPath, mem.SourceSnapshot.Checksum
		if sum == nil {
			return rep, fmt.Errorf("%s: member %s records no checksum", layout.ManifestFile, rel)
		}
		rep.Artifacts++
		if ok, _ := w.Has(ctx, rel, *sum); ok {
			continue
		}
		p, err := l.Resolve(rel)
		if err != nil {
			return rep, err
		}
		if err := w.Put(ctx, rel, p, *sum); err != nil {
			return rep, err
		}
		if removeLocal {
			if err := os.RemoveAll(p); err != nil {
				return rep, err
			}
		}
	}
	for _, doc := range Documents {
		b, err := os.ReadFile(filepath.Join(dir, doc))
		if errors.Is(err, os.ErrNotExist) && doc != layout.ManifestFile {
			continue
		}
		if err != nil {
			return rep, err
		}
		if err := w.PutDocument(ctx, doc, b); err != nil {
			return rep, err
		}
		rep.Documents++
	}
	if err := w.Commit(ctx); err != nil {
		return rep, err
	}
	rep.Write = w.Report()
	rep.Duration = time.Since(start)
	return rep, nil
}
