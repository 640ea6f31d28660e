package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/internal/demo"
)

// demoCommand is `canic-backup demo`: a whole backup and restore of a
// simulated fleet, start to finish, with nothing to set up (the engine is
// internal/demo; this binds its flags and renders its report).
func demoCommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "back up a simulated fleet, change it, restore it and show that every canister is back",
		UsageText: "canic-backup demo [--executor agent|dfx] [--dir DIR] [--keep=false] [--size 4MiB] [--children N] [--json]\n\n" +
			"Starts the simulator in-process on a free loopback port (a root and N children), writes a canic.toml\n" +
			"for it, runs `backup create` through the executor plugin, `backup verify`, changes every canister's\n" +
			"memory, then `restore plan`, `restore apply` and `restore run --execute`, and compares every\n" +
			"canister's state digest with the one taken at backup time. The same code paths as the commands run.\n\n" +
			"Everything is written under DIR (default: a new temporary directory), which is kept so that you can\n" +
			"look at the backup and the journals; --keep=false removes it after a successful run.\n\n" +
			"--executor dfx drives the icp CLI ($CANIC_ICP_BIN, else icp on PATH) instead of the built-in agent.\n\n" +
			"Examples:\n   canic-backup demo\n   canic-backup demo --executor dfx --json",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "executor", Value: demo.ExecutorAgent, Usage: "`DRIVER` to back up and restore with: agent or dfx (the icp CLI)"},
			&cli.StringFlag{Name: "dir", Usage: "write everything under `DIR` (must not exist or be empty; default: a new temporary directory)"},
			&cli.BoolFlag{Name: "keep", Value: true, Usage: "keep the directory afterwards (--keep=false removes it after a successful run)"},
			&cli.StringFlag{Name: "size", Value: "4MiB", Usage: "memory per canister"},
			&cli.IntFlag{Name: "children", Value: 3, Usage: "children of the root canister (1 to 20)"},
			jsonFlag(),
		},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return demoAction(c, e) },
	}
}

// demoFlags binds the demo's flags into its options.
func demoFlags(c *cli.Context, e env) (demo.Options, error) {
	name := commandName(c)
	o := demo.Options{Executor: c.String("executor"), Dir: c.String("dir"), Keep: c.Bool("keep"), Children: c.Int("children")}
	if err := leafArgs(c); err != nil {
		return o, err
	}
	switch o.Executor {
	case demo.ExecutorAgent, demo.ExecutorDFX:
	default:
		return o, usagef("%s: --executor %q: want agent or dfx", name, o.Executor)
	}
	size, err := parseSize(c.String("size"))
	if err != nil {
		return o, usagef("%s: --size %q: %v", name, c.String("size"), err)
	}
	if size < 1<<10 || size > 1<<30 {
		return o, usagef("%s: --size %q: want between 1KiB and 1GiB", name, c.String("size"))
	}
	o.Size = size
	if o.Children < 1 || o.Children > 20 {
		return o, usagef("%s: --children %d: want 1 to 20", name, o.Children)
	}
	if o.Executor == demo.ExecutorDFX {
		if o.ICP, err = demo.FindICP(e.getenv); err != nil {
			return o, err
		}
	}
	return o, nil
}

func demoAction(c *cli.Context, e env) error {
	opts, err := demoFlags(c, e)
	if err != nil {
		return err
	}
	asJSON := c.Bool("json")
	hooks := demo.Hooks{
		Command: func(ctx context.Context, stdout, stderr io.Writer, args ...string) error {
			sub := e
			sub.stdout, sub.stderr = stdout, stderr
			return newApp(sub).RunContext(ctx, append([]string{"canic-backup"}, args...))
		},
		Drivers: builtinDrivers(),
	}
	if !asJSON {
		hooks.Started = func(label string) {
			fmt.Fprintf(e.stdout, "canic-backup demo: back up a simulated fleet, change it, restore it (executor: %s)\n\n", label)
		}
		hooks.Step = func(n int, name string, took time.Duration, detail string, err error) {
			if err != nil {
				detail = "FAILED"
			}
			fmt.Fprintf(e.stdout, "%2d. %-44s %6s  %s\n", n, name, demoDuration(took), detail)
		}
	}
	res, err := demo.Run(c.Context, opts, hooks)
	if err != nil {
		return err
	}
	if asJSON {
		if err := writeJSON(e.stdout, res.Report); err != nil {
			return errors.Join(res.RunErr, err)
		}
		return errors.Join(res.RunErr, res.RemoveErr)
	}
	demoRender(e.stdout, res.Report)
	return errors.Join(res.RunErr, res.RemoveErr)
}

// demoRender prints the digest table, the outcome and the paths (or that
// the directory was removed).
func demoRender(w io.Writer, r *demo.Report) {
	if len(r.Canisters) > 0 && r.Canisters[0].MutatedDigest != "" {
		fmt.Fprintln(w)
		rows := make([][]string, 0, len(r.Canisters))
		for _, c := range r.Canisters {
			mark := "✓"
			if !c.Restored {
				mark = "✗"
			}
			rows = append(rows, []string{c.CanisterID, c.Role, demoShort(c.BackupDigest), demoShort(c.MutatedDigest),
				demoShort(c.RestoredDigest), mark})
		}
		fmt.Fprintln(w, renderTable([]string{"CANISTER", "ROLE", "AT BACKUP", "AFTER CHANGE", "RESTORED", "OK"}, rows))
	}
	fmt.Fprintln(w)
	if r.OK {
		fmt.Fprintf(w, "ok: backup verified and every canister is back to its backup-time state (%d canisters, %s in total)\n",
			len(r.Canisters), demoDuration(time.Duration(r.TotalMillis)*time.Millisecond))
	} else {
		fmt.Fprintln(w, "the demo failed; its files are kept for a look:")
	}
	if !r.Kept {
		fmt.Fprintf(w, "removed %s (--keep=false)\n", r.Paths.Dir)
		return
	}
	p := r.Paths
	rel := func(s string) string {
		if x, err := filepath.Rel(p.Dir, s); err == nil {
			return x
		}
		return s
	}
	fmt.Fprintf(w, "\nfiles, under %s:\n", p.Dir)
	fmt.Fprintf(w, "  config           %s\n", rel(p.Config))
	fmt.Fprintf(w, "  backup           %s/ (manifest %s)\n", rel(p.Backup), filepath.Base(p.Manifest))
	fmt.Fprintf(w, "  backup journals  %s, %s\n", rel(p.BackupJournal), rel(p.DownloadJournal))
	fmt.Fprintf(w, "  restore          %s, %s, %s\n", rel(p.RestorePlan), rel(p.RestoreJournal), rel(p.RestoreSummary))
	fmt.Fprintf(w, "  simulator state  %s/\n", rel(p.SimState))
	fmt.Fprintf(w, "\nnext:\n  canic-backup backup inspect --dir %s\n", p.Backup)
	fmt.Fprintf(w, "  canic-backup sim start --state-dir %s   # serve the fleet again (writes its own canic.toml there)\n", p.SimState)
	fmt.Fprintf(w, "  rm -rf %s   # when done\n", p.Dir)
}

// demoShort shortens a hex digest for the table.
func demoShort(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// demoDuration renders a step's time: 0.42s, 12.3s.
func demoDuration(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}
