package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/verify"
)

// errNotComplete is matched when `backup verify` finds a plan layout that
// never finished (no manifest).
var errNotComplete = errors.New("is a dry-run layout, not a complete backup")

// backupVerifyCommand is `backup verify`: read-only checks of the manifest,
// journal agreement, artifact paths and checksums.
func backupVerifyCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "verify layout, journal agreement and artifact checksums (changes nothing)",
		UsageText: "canic-backup backup verify (--dir DIR | --store NAME --backup NAME [--sample P] [--seed N]) [--json]",
		Description: "A backup in a remote store is read from the store and hashed while streaming, without a local copy;\n" +
			"--sample P checks a random P percent of its artifacts (every manifest and journal always), --seed N\n" +
			"makes the sample reproducible. A dir store's backup is verified as the directory <path>/<name>.\n\n" +
			"Examples:\n   canic-backup backup verify --dir backups/fleet-demo-20260512-140000\n" +
			"   canic-backup backup verify --store offsite --backup fleet-demo-20260512-140000 --sample 10",
		Flags: []cli.Flag{dirFlag(), storeFlag(), backupFlag(), configFlag(), envFlag(),
			&cli.Float64Flag{Name: "sample", Usage: "with a remote store, verify a random `P` percent of the artifacts (0 < P <= 100; default all)"},
			&cli.Int64Flag{Name: "seed", Usage: "seed `N` of the --sample choice (default random, printed)"},
			jsonFlag()},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return backupVerify(c, e) },
	}
}

func backupVerify(c *cli.Context, e env) error {
	if err := leafArgs(c); err != nil {
		return err
	}
	if c.IsSet("sample") {
		if p := c.Float64("sample"); !(p > 0 && p <= 100) {
			return usagef("%s: --sample must be a percentage in (0, 100], got %v", commandName(c), p)
		}
	}
	dir := c.String("dir")
	if dir == "" || c.String("store") != "" || c.String("backup") != "" {
		done, err := verifyInStore(c, e, dir)
		if done || err != nil {
			return err
		}
		dir = c.String("dir")
	}
	if dir == "" {
		return usagef("%s: required flag --dir is missing (or name a store's backup with --store NAME --backup NAME)", commandName(c))
	}
	return verifyDirCommand(c, e, dir)
}

// verifyDirCommand verifies the backup directory dir and prints the report.
func verifyDirCommand(c *cli.Context, e env, dir string) error {
	report, err := verifyDir(c, dir)
	if errors.Is(err, verify.ErrVerification) || errors.Is(err, errNotComplete) {
		return verifyFailed(err)
	}
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return writeJSON(e.stdout, report)
	}
	fmt.Fprintf(e.stdout, "backup %s verified: %d members, %d durable artifacts\n",
		report.BackupID, report.ManifestMembers, report.DurableArtifacts)
	for _, a := range report.Artifacts {
		fmt.Fprintf(e.stdout, "  %s  %s  %s\n", a.CanisterID, a.Checksum, a.ArtifactPath)
	}
	return nil
}

// verifyDir runs every check: an executable layout's plan and execution
// journal must agree and be complete, then the manifest, download journal
// and artifacts are verified.
func verifyDir(c *cli.Context, dir string) (*verify.Report, error) {
	// A directory that is not there is an operator error (exit 1), not a
	// corrupt backup (exit 3).
	switch info, err := os.Stat(dir); {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("backup directory %s: no such directory: %w", dir, err)
	case err != nil:
		return nil, fmt.Errorf("backup directory %s: %w", dir, err)
	case !info.IsDir():
		return nil, fmt.Errorf("backup directory %s: not a directory", dir)
	}
	hasPlan, err := fileExists(filepath.Join(dir, verify.PlanFile))
	if err != nil {
		return nil, err
	}
	hasManifest, err := verify.ManifestExists(dir)
	if err != nil {
		return nil, err
	}
	if hasPlan {
		p, err := verify.ReadPlan(dir)
		if err != nil {
			return nil, err
		}
		if !hasManifest {
			return nil, fmt.Errorf("%s: backup plan %s %w (no %s)",
				dir, p.PlanID, errNotComplete, verify.ManifestFile)
		}
		if _, err := verify.ExecutionLayout(dir); err != nil {
			return nil, err
		}
	}
	return verify.Layout(c.Context, dir)
}
