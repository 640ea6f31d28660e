package main

import (
	"errors"
	"fmt"
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
		Name:         "verify",
		Usage:        "verify layout, journal agreement and artifact checksums (changes nothing)",
		UsageText:    "canic-backup backup verify --dir DIR [--json]",
		Description:  "Example:\n   canic-backup backup verify --dir backups/fleet-demo-20260512-140000",
		Flags:        []cli.Flag{dirFlag(), jsonFlag()},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return backupVerify(c, e) },
	}
}

func backupVerify(c *cli.Context, e env) error {
	if err := leafArgs(c); err != nil {
		return err
	}
	dir, err := requireFlag(c, "dir")
	if err != nil {
		return err
	}
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
