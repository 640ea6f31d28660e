package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/registry"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/verify"
)

// backupPlanCommand is `backup plan`: write a plan and its initial journal
// from a registry file. Nothing on the IC is touched.
func backupPlanCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "plan a fleet backup from a registry file (dry run: writes the plan and journal, touches nothing)",
		UsageText: "canic-backup backup plan --registry FILE --root ID [--subtree ROLE|ID] [--fleet NAME] [--network NAME] --out DIR [--json]",
		Description: "Writes DIR's backup plan and its initial execution journal from a saved registry; the IC is not contacted.\n\n" +
			"Example:\n   canic-backup backup plan --registry registry.json --root r7inp-6aaaa-aaaaa-aaabq-cai --fleet demo --out backups/fleet-demo-20260512-140000",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "registry", Usage: "registry JSON `FILE` (canic_subnet_registry output)"},
			&cli.StringFlag{Name: "root", Usage: "fleet root canister `ID`"},
			&cli.StringFlag{Name: "subtree", Usage: "back up only the subtree under `ROLE|ID`; default: every canister but the root"},
			&cli.StringFlag{Name: "fleet", Value: "default", Usage: "fleet `NAME` (names the plan)"},
			&cli.StringFlag{Name: "network", Value: "local", Usage: "network `NAME` recorded in the plan"},
			&cli.StringFlag{Name: "out", Usage: "backup directory `DIR` to create"},
			jsonFlag(),
		},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return backupPlan(c, e) },
	}
}

func backupPlan(c *cli.Context, e env) error {
	if err := leafArgs(c); err != nil {
		return err
	}
	regFile, err := requireFlag(c, "registry")
	if err != nil {
		return err
	}
	root, err := requireFlag(c, "root")
	if err != nil {
		return err
	}
	out, err := requireFlag(c, "out")
	if err != nil {
		return err
	}
	data, err := layout.ReadDocument(regFile, layout.MaxDocumentSize)
	if err != nil {
		return fmt.Errorf("read registry: %w", err)
	}
	entries, err := registry.Parse(data)
	if err != nil {
		return fmt.Errorf("registry %s: %w", regFile, err)
	}
	p, err := plan.Create(plan.CreateInput{
		Fleet:          c.String("fleet"),
		Network:        c.String("network"),
		RootCanisterID: root,
		Registry:       entries,
		Subtree:        c.String("subtree"),
		Now:            e.now(),
	})
	if err != nil {
		return fmt.Errorf("plan from registry %s (--root %s, --subtree %q): %w", regFile, root, c.String("subtree"), err)
	}
	j, err := runner.Prepare(out, p)
	if err != nil {
		return err
	}
	report := newPlanStatusReport(p, j, verify.Status(j, false))
	if c.Bool("json") {
		return writeJSON(e.stdout, report)
	}
	fmt.Fprintf(e.stdout, "planned %s (%s) in %s: %d targets, %d operations, scope %s\n",
		p.PlanID, p.RunID, out, len(p.Targets), len(p.Phases), p.SelectedScopeKind)
	return nil
}
