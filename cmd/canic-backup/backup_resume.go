package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/core/layout"
	"github.com/canic-backup/canic-backup/core/runner"
	"github.com/canic-backup/canic-backup/core/verify"
)

// backupResumeCommand is `backup resume`: continue an interrupted, paused
// or failed run from its journal through the environment's executor.
func backupResumeCommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "resume",
		Usage: "continue an interrupted, paused or failed backup run from its journal",
		UsageText: "canic-backup backup resume (--dir DIR | --store NAME --backup NAME [--dir STAGING]) [--retry-failed] [--config FILE] [--env NAME] [--max-steps N]\n\n" +
			"The environment is --env (or $" + config.EnvEnvironment + ") when given, else the one environment of the\n" +
			"config whose network and root are the plan's. An interrupted or paused run continues where it stopped\n" +
			"(an operation cut off mid-way is executed again). An operation that FAILED is retried only with\n" +
			"--retry-failed (the canisters the failed run restarted are stopped again first), so a failure is never\n" +
			"retried by accident.\n\n" +
			"With a remote store, --backup NAME finds the run's staging directory (--dir, else <user cache dir>/\n" +
			"canic-backup/staging/<store>/<name>); the fleet's lock is taken, the run continued if unfinished (each\n" +
			"artifact streams into the store once verified, unless --keep-local), the backup published (objects\n" +
			"already there are skipped, interrupted uploads resumed) and the staging directory removed. A backup\n" +
			"already published is reported as such.",
		Flags: []cli.Flag{
			dirFlag(),
			storeFlag(),
			backupFlag(),
			keepLocalFlag(),
			&cli.BoolFlag{Name: "retry-failed", Usage: "retry the operation the previous run left failed"},
			&cli.BoolFlag{Name: "no-restart-on-failure", Usage: "leave the canisters a failed run stopped (start them later with `backup recover`)"},
			configFlag(),
			envFlag(),
			&cli.IntFlag{Name: "max-steps", Usage: "stop after `N` operations (0: no limit)"},
			concurrencyFlag(),
			jsonLinesFlag(),
		},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return backupResume(c, e) },
	}
}

func backupResume(c *cli.Context, e env) (err error) {
	if err := leafArgs(c); err != nil {
		return err
	}
	if c.Int("max-steps") < 0 {
		return usagef("%s: --max-steps must be >= 0, got %d", commandName(c), c.Int("max-steps"))
	}
	var sr *storeRun
	var cfg *config.Config
	dir := c.String("dir")
	if c.String("store") != "" || c.String("backup") != "" || (dir == "" && e.getenv(envStore) != "") {
		if cfg, err = loadConfig(c, e); err != nil {
			return err
		}
		done, run, err := resumeStoreRun(c, e, cfg)
		if err != nil || done {
			return err
		}
		sr, dir = run, run.staging
	}
	if dir == "" {
		return usagef("%s: required flag --dir is missing (or name a store's backup with --store NAME --backup NAME)", commandName(c))
	}
	p, err := verify.ReadPlan(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// A create that died before its plan was durable did nothing.
			cmd := "canic-backup backup create --out " + dir
			if sr != nil && sr.sc != nil {
				cmd = "canic-backup backup create --store " + sr.sc.Name
				if sr.customStaging {
					cmd += " --out " + dir
				}
			}
			if f := c.String("config"); f != "" {
				cmd += " --config " + f
			}
			if v := c.String("env"); v != "" {
				cmd += " --env " + v
			}
			where := dir
			if sr.remote() && !sr.customStaging && removeUnplannedStaging(dir) {
				// The create again stages under a new name (a new time
				// stamp), so this directory would be left forever.
				where += " (its staging directory, which held no backup document, was removed)"
			}
			return fmt.Errorf("%w\nno backup was started in %s: run `%s` again", err, where, cmd)
		}
		return err
	}
	if cfg == nil {
		if cfg, err = loadConfig(c, e); err != nil {
			return err
		}
	}
	ctx := c.Context
	if sr != nil {
		if ctx, err = sr.lockFleet(ctx, e, p.Fleet, leasePurpose("resume", sr.name)); err != nil {
			return err
		}
		defer func() { err = errors.Join(err, sr.lock.Release(c.Context)) }()
		// A run that completed but was not (fully) published only needs
		// the publish: no executor is started.
		complete, err := verify.ManifestExists(dir)
		if err != nil {
			return err
		}
		if complete && sr.remote() {
			return publishOnly(c, e, sr)
		}
	}
	envr, err := resumeEnvironment(c, e, cfg, p.Network, p.RootCanisterID)
	if err != nil {
		return err
	}
	ex, err := cfg.ExecutorOf(envr)
	if err != nil {
		return err
	}
	concurrency, err := runConcurrency(c, ex.Settings)
	if err != nil {
		return err
	}
	view, err := startProgress(c, e)
	if err != nil {
		return err
	}
	defer view.Finish(nil) //nolint:errcheck // the explicit Finish below reports errors
	client, err := startClient(ctx, e, ex)
	if err != nil {
		return err
	}
	defer client.Close()
	var sink runner.ArtifactSink
	if sr != nil {
		if sink, err = sr.artifactSink(sunkArtifacts(dir)); err != nil {
			return err
		}
	}
	resp, runErr := runner.Run(ctx, runner.Config{
		Dir: dir, MaxSteps: c.Int("max-steps"), RetryFailed: c.Bool("retry-failed"), Clock: e.now,
		Observer: view.Observer(), Concurrency: concurrency, RecordDowntime: true,
		NoRestartOnFailure: c.Bool("no-restart-on-failure"), Sink: sink,
	}, newPluginExecutor(client, p.Network))
	row := createRow{fleet: p.Fleet, network: p.Network, mode: "resume", scope: scopeLabel(p),
		targets: len(p.Targets), operations: len(p.Phases), out: dir}
	return finishRun(c, e, view, row, resp, runErr, sr)
}

// removeUnplannedStaging removes the default staging directory of a
// remote store's run that died before its plan was durable, if it holds
// nothing but the temp files of interrupted atomic writes (".NAME.*.tmp"),
// and reports whether it did.
func removeUnplannedStaging(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, ent := range ents {
		if !ent.Type().IsRegular() || !strings.HasPrefix(ent.Name(), ".") || !strings.HasSuffix(ent.Name(), layout.TempSuffix) {
			return false
		}
	}
	return os.RemoveAll(dir) == nil
}

// resumeEnvironment picks the environment of a plan: --env or
// $CANIC_BACKUP_ENV (which must match the plan's network and root), else
// the single environment with the plan's network and root.
func resumeEnvironment(c *cli.Context, e env, cfg *config.Config, network, root string) (config.Environment, error) {
	if c.String("env") != "" || e.getenv(config.EnvEnvironment) != "" {
		envr, src, err := cfg.Select(c.String("env"), e.lookup())
		if err != nil {
			return config.Environment{}, err
		}
		if envr.Network != network || envr.Root != root {
			return config.Environment{}, fmt.Errorf("environment %s (from %s) is network %s root %s, but the plan is network %s root %s",
				envr.Name, src, envr.Network, envr.Root, network, root)
		}
		return envr, nil
	}
	matches := cfg.Match(network, root)
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return config.Environment{}, fmt.Errorf("%w: no environment in %s has the plan's network %s and root %s; add one or pass --env",
			config.ErrNoEnvironment, cfg.Path, network, root)
	}
	names := make([]string, len(matches))
	for i, m := range matches {
		names[i] = m.Name
	}
	return config.Environment{}, fmt.Errorf("%w: environments %s of %s all have the plan's network %s and root %s; pass --env",
		config.ErrNoEnvironment, strings.Join(names, ", "), cfg.Path, network, root)
}
