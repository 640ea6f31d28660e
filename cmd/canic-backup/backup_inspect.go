package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/core/archive"
	"github.com/canic-backup/canic-backup/core/journal"
	"github.com/canic-backup/canic-backup/core/plan"
	"github.com/canic-backup/canic-backup/core/verify"
)

// inspectReport is 0.35.1's BackupInspectReport (`backup inspect --json`).
type inspectReport struct {
	LayoutStatus verify.LayoutStatus                  `json:"layout_status"`
	PlanID       string                               `json:"plan_id"`
	RunID        string                               `json:"run_id"`
	Fleet        string                               `json:"fleet"`
	Network      string                               `json:"network"`
	Scope        string                               `json:"scope"`
	Targets      []inspectTarget                      `json:"targets"`
	Operations   []inspectOperation                   `json:"operations"`
	Execution    journal.BackupExecutionResumeSummary `json:"execution"`
	// LeftStopped is new in this port: canisters the journal records as
	// stopped and not restarted.
	LeftStopped []string `json:"left_stopped"`
}

// inspectTarget is one target row.
type inspectTarget struct {
	Role                  string `json:"role"`
	CanisterID            string `json:"canister_id"`
	ParentCanisterID      string `json:"parent_canister_id"`
	ExpectedModuleHash    string `json:"expected_module_hash"`
	Depth                 uint32 `json:"depth"`
	ControlAuthority      string `json:"control_authority"`
	SnapshotReadAuthority string `json:"snapshot_read_authority"`
}

// inspectOperation is one operation row.
type inspectOperation struct {
	Sequence         uint64   `json:"sequence"`
	Kind             string   `json:"kind"`
	TargetCanisterID string   `json:"target_canister_id"`
	State            string   `json:"state"`
	BlockingReasons  []string `json:"blocking_reasons"`
}

// backupInspectCommand is `backup inspect`.
func backupInspectCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "show a backup's plan, targets and operations with their journal state",
		UsageText: "canic-backup backup inspect (--dir DIR | [--store NAME] --backup NAME) [--config FILE] [--env NAME] [--json]",
		Description: "Reads DIR's plan and execution journal (both validated, and checked against each other).\n" +
			"With --backup NAME the backup is read from a store (--store NAME, else $" + envStore + ", else the\n" +
			"selected environment's store key): <path>/NAME of a dir store, or the documents of NAME in an s3\n" +
			"store (sha256-checked, no local copy). The output is the same.\n\n" +
			"Examples:\n   canic-backup backup inspect --dir backups/fleet-demo-20260512-140000\n" +
			"   canic-backup backup inspect --store offsite --backup fleet-demo-20260512-140000",
		Flags:        []cli.Flag{dirFlag(), storeFlag(), backupFlag(), configFlag(), envFlag(), jsonFlag()},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return backupInspect(c, e) },
	}
}

// inspectSource resolves where inspect reads: --dir, or --backup in the
// selected store. A usage error says what is missing or conflicting.
func inspectSource(c *cli.Context, e env) (archive.Docs, error) {
	dir, name := c.String("dir"), c.String("backup")
	switch {
	case dir != "" && (c.IsSet("store") || name != ""):
		return nil, usagef("%s: --dir names a backup directory; --store/--backup name a stored backup: give one", commandName(c))
	case dir != "":
		return archive.DirDocs(dir), nil
	}
	sc, err := selectStore(c, e, nil, nil)
	if err != nil {
		return nil, err
	}
	if sc == nil {
		if name != "" {
			return nil, usagef("%s: --backup %s needs a store: pass --store NAME (or set $%s, or an environment's store)", commandName(c), name, envStore)
		}
		return nil, usagef("%s: required flag --dir is missing (or --backup NAME with a store)", commandName(c))
	}
	if name == "" {
		return nil, usagef("%s: required flag --backup is missing: name a backup in store %s (see `backup list --store %s`)", commandName(c), sc.Name, sc.Name)
	}
	if err := checkBackupName(name); err != nil {
		return nil, err
	}
	if !sc.Remote() {
		return archive.DirDocs(filepath.Join(sc.Dir(), name)), nil
	}
	return newStoreDocs(c.Context, sc, name), nil
}

func backupInspect(c *cli.Context, e env) error {
	if err := leafArgs(c); err != nil {
		return err
	}
	docs, err := inspectSource(c, e)
	if err != nil {
		return err
	}
	var run checkedRun
	if dir, ok := docs.(archive.DirDocs); ok {
		run, err = readCheckedRun(string(dir))
	} else {
		run, err = readCheckedDocs(docs)
	}
	if err != nil {
		return err
	}
	r := newInspectReport(run.plan, run.journal, run.status)
	if c.Bool("json") {
		return writeJSON(e.stdout, r)
	}
	_, err = fmt.Fprintln(e.stdout, r.text())
	return err
}

func newInspectReport(p *plan.BackupPlan, j *journal.BackupExecutionJournal, status verify.LayoutStatus) inspectReport {
	r := inspectReport{
		LayoutStatus: status, PlanID: p.PlanID, RunID: p.RunID, Fleet: p.Fleet, Network: p.Network,
		Scope: scopeLabel(p), Targets: []inspectTarget{}, Operations: []inspectOperation{},
		Execution: j.ResumeSummary(), LeftStopped: runnerLeftStopped(j),
	}
	for _, t := range p.Targets {
		r.Targets = append(r.Targets, inspectTarget{
			Role: orDash(t.Role), CanisterID: t.CanisterID, ParentCanisterID: orDash(t.ParentCanisterID),
			ExpectedModuleHash: orDash(t.ExpectedModuleHash), Depth: t.Depth,
			ControlAuthority:      t.ControlAuthority.Source.Label() + "/" + string(t.ControlAuthority.Evidence),
			SnapshotReadAuthority: string(t.SnapshotReadAuthority.Source) + "/" + string(t.SnapshotReadAuthority.Evidence),
		})
	}
	for _, op := range j.Operations {
		reasons := append([]string{}, op.BlockingReasons...)
		r.Operations = append(r.Operations, inspectOperation{
			Sequence: op.Sequence, Kind: string(op.Kind), TargetCanisterID: orDash(op.TargetCanisterID),
			State: string(op.State), BlockingReasons: reasons,
		})
	}
	return r
}

// text renders 0.35.1's inspect text: header, summary table, targets and
// operations tables.
func (r inspectReport) text() string {
	next := "-"
	if r.Execution.NextOperation != nil {
		next = r.Execution.NextOperation.OperationID
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Plan: %s\nRun:  %s\n\n", r.PlanID, r.RunID)
	b.WriteString(renderTable([]string{"STATUS", "FLEET", "NETWORK", "SCOPE", "TARGETS", "OPERATIONS", "NEXT"},
		[][]string{{string(r.LayoutStatus), r.Fleet, r.Network, r.Scope, strconv.Itoa(len(r.Targets)),
			strconv.Itoa(len(r.Operations)), next}}))
	b.WriteString("\n\nTargets\n")
	targets := make([][]string, 0, len(r.Targets))
	for _, t := range r.Targets {
		targets = append(targets, []string{t.Role, t.CanisterID, t.ParentCanisterID, t.ExpectedModuleHash,
			strconv.FormatUint(uint64(t.Depth), 10), t.ControlAuthority, t.SnapshotReadAuthority})
	}
	b.WriteString(renderTable([]string{"ROLE", "CANISTER_ID", "PARENT", "MODULE_HASH", "DEPTH", "CONTROL", "SNAPSHOT_READ"}, targets))
	b.WriteString("\n\nOperations\n")
	ops := make([][]string, 0, len(r.Operations))
	for _, op := range r.Operations {
		ops = append(ops, []string{strconv.FormatUint(op.Sequence, 10), op.Kind, op.TargetCanisterID, op.State,
			strings.Join(op.BlockingReasons, "; ")})
	}
	b.WriteString(renderTable([]string{"SEQ", "KIND", "TARGET", "STATE", "REASONS"}, ops))
	if len(r.LeftStopped) > 0 {
		fmt.Fprintf(&b, "\n\nLeft stopped: %s (run `canic-backup backup recover`)", strings.Join(r.LeftStopped, ", "))
	}
	return b.String()
}

func orDash(s *string) string {
	if s == nil || *s == "" {
		return "-"
	}
	return *s
}
