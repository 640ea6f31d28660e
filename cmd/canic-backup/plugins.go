package main

import (
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/canic-backup/canic-backup/config"
	"github.com/canic-backup/canic-backup/pluginapi"
)

// pluginsCommand is the `plugins` command family.
func pluginsCommand(e env) *cli.Command {
	return &cli.Command{
		Name:         "plugins",
		Usage:        "inspect the configured executor plugins",
		OnUsageError: onUsageError,
		Action:       familyAction,
		Subcommands: []*cli.Command{
			{
				Name:         "list",
				Usage:        "start each configured executor and print its info and capabilities",
				UsageText:    "canic-backup plugins list [--config FILE] [--json]",
				Description:  "Example:\n   canic-backup plugins list --config canic.toml --json",
				Flags:        []cli.Flag{configFlag(), jsonFlag()},
				OnUsageError: onUsageError,
				Action:       func(c *cli.Context) error { return pluginsList(c, e) },
			},
		},
	}
}

// pluginRow is one executor in `plugins list`.
type pluginRow struct {
	Executor        string   `json:"executor"`
	Driver          string   `json:"driver"`
	Name            string   `json:"name"`
	Version         string   `json:"version"`
	ProtocolVersion int      `json:"protocol_version"`
	Capabilities    []string `json:"capabilities"`
	Error           *string  `json:"error"`
}

func pluginsList(c *cli.Context, e env) error {
	if err := leafArgs(c); err != nil {
		return err
	}
	cfg, err := loadConfig(c, e)
	if err != nil {
		return err
	}
	rows := []pluginRow{}
	var errs []error
	for _, name := range cfg.ExecutorNames() {
		ex := cfg.Executors[name]
		row := pluginRow{Executor: name, Driver: ex.Driver, Capabilities: []string{}}
		info, err := executorInfo(c, e, ex)
		if err != nil {
			msg := err.Error()
			row.Error = &msg
			errs = append(errs, err)
		} else {
			row.Name, row.Version, row.ProtocolVersion = info.Name, info.Version, info.ProtocolVersion
			if info.Capabilities != nil {
				row.Capabilities = info.Capabilities
			}
		}
		rows = append(rows, row)
	}
	if c.Bool("json") {
		if err := writeJSON(e.stdout, rows); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "EXECUTOR\tDRIVER\tNAME\tVERSION\tPROTOCOL\tCAPABILITIES")
		for _, r := range rows {
			if r.Error != nil {
				fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\tunavailable (see error)\n", r.Executor, r.Driver)
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Executor, r.Driver, r.Name, r.Version,
				strconv.Itoa(r.ProtocolVersion), capabilityList(r.Capabilities))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

// executorInfo starts one executor, asks for its Info and ends it.
func executorInfo(c *cli.Context, e env, ex config.Executor) (pluginapi.Info, error) {
	client, err := startClient(c.Context, e, ex)
	if err != nil {
		return pluginapi.Info{}, err
	}
	defer client.Close()
	return client.Info(c.Context)
}
