package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/restore"
)

// restoreApplyCommand is `restore apply --dry-run`: render the operations
// of a plan, validate its artifacts, and write the initial apply journal.
func restoreApplyCommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "apply",
		Usage: "render a plan's restore operations, validate its artifacts and write the apply journal",
		UsageText: "canic-backup restore apply --plan FILE [--backup-dir DIR | --store NAME --backup NAME [--backup-dir DIR] [--config FILE]]\n" +
			"   --dry-run [--out FILE] [--journal-out FILE]",
		Description: "With --store, the backup's documents are fetched from the store's backup NAME into --backup-dir\n" +
			"(default <user cache dir>/canic-backup/fetch/<store>/NAME, as `restore plan --store` used) and the artifacts of\n" +
			"the plan's members are checked by streaming them from the store, not downloaded: each object's SHA-256 and each\n" +
			"artifact's checksum against the manifest and the plan. The journal is the one a full local copy in that directory\n" +
			"gives; `restore run --store` fetches each artifact there just before its upload. Lines `fetched K objects (X MiB)\n" +
			"from STORE in Ys` and `checked K artifacts (N objects, X MiB) in STORE by streaming in Ys` go to stderr.\n" +
			"A dir store's <path>/NAME is used in place.\n\n" +
			"Examples:\n   canic-backup restore apply --plan restore-plan.json --backup-dir backups/fleet-demo-20260512-140000 --dry-run --journal-out restore-journal.json\n" +
			"   canic-backup restore apply --plan restore-plan.json --store offsite --backup fleet-demo-20260512-140000 --dry-run --journal-out restore-journal.json",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "plan", Usage: "restore plan `FILE`"},
			&cli.StringFlag{Name: "backup-dir", Usage: "backup directory `DIR`: resolve, find and checksum every artifact (a journal without it is blocked); with --store, where the artifacts are fetched"},
			storeFlag(),
			backupFlag(),
			configFlag(),
			&cli.StringFlag{Name: "out", Usage: "write the dry-run to `FILE` instead of stdout"},
			&cli.StringFlag{Name: "journal-out", Usage: "write the initial apply journal to `FILE` (never overwrites one)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "required: apply renders; `restore run` executes"},
		},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return restoreApply(c, e) },
	}
}

func restoreApply(c *cli.Context, e env) error {
	if err := leafArgs(c); err != nil {
		return err
	}
	planFile, err := requireFlag(c, "plan")
	if err != nil {
		return err
	}
	if !c.Bool("dry-run") {
		return usagef("%s: --dry-run is required (restore run executes the journal)", commandName(c))
	}
	p, err := restore.ReadPlan(planFile)
	if err != nil {
		return fmt.Errorf("read plan: %w", err)
	}
	// Checked before anything is fetched; checked again atomically below.
	jout := c.String("journal-out")
	if jout != "" {
		exists, err := fileExists(jout)
		if err != nil {
			return err
		}
		if exists {
			return fmt.Errorf("%s already exists: refusing to replace an apply journal (it may hold a restore's progress): %w", jout, layout.ErrExists)
		}
	}
	dir, sums, err := restoreApplySource(c, e, p)
	if err != nil {
		return err
	}
	var d *restore.DryRun
	if sums != nil {
		d, err = streamedDryRun(c.Context, p, dir, sums)
	} else {
		d, err = restore.BuildDryRun(c.Context, p, dir)
	}
	if err != nil {
		return err
	}
	if err := writeDocument(e.stdout, c.String("out"), d); err != nil {
		return err
	}
	if jout != "" {
		if err := layout.CreateJSONAtomic(jout, restore.NewJournal(d)); err != nil {
			if errors.Is(err, layout.ErrExists) {
				return fmt.Errorf("%s already exists: refusing to replace an apply journal: %w", jout, err)
			}
			return fmt.Errorf("write %s: %w", jout, err)
		}
	}
	return nil
}

// restoreApplySource returns the backup directory the dry-run checks: the
// --backup-dir, or with --store the backup's local directory. For a remote
// store only the documents are fetched into it; the artifacts of the plan's
// members are checked by streaming them from the store, and their
// checksums are returned (nil otherwise) for streamedDryRun.
func restoreApplySource(c *cli.Context, e env, p *restore.Plan) (string, *archive.ArtifactsReport, error) {
	src, err := restoreSourceOf(c, e)
	if err != nil || src == nil {
		return c.String("backup-dir"), nil, err
	}
	if !src.remote() {
		return src.dir, nil, nil
	}
	paths, err := src.planArtifacts(c.Context, p)
	if err != nil {
		return "", nil, err
	}
	if err := src.fetch(c.Context, e, "restore apply", nil); err != nil {
		return "", nil, err
	}
	sums, err := src.streamedArtifacts(c.Context, e, "restore apply", paths)
	if err != nil {
		return "", nil, err
	}
	return src.dir, sums, nil
}
